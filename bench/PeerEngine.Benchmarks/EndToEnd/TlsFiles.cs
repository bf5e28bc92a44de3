using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using PeerEngine.Tests.Transport.Tls;

namespace PeerEngine.Benchmarks.EndToEnd;

/// <summary>
/// The certificates of a TLS measurement: a private CA, the server's and the client's certificate,
/// as PEM files in one folder that the runner makes and names to its child processes in
/// <see cref="Variable"/>, so that a server and a client started apart trust each other.
/// </summary>
internal static class TlsFiles
{
    public const string Variable = "E2E_TLS_DIR";
    public const string ServerId = "peerengine-server";
    public const string ClientId = "e2e-client";

    /// <summary>Makes a folder with the CA and both certificates; the caller deletes it.</summary>
    public static string Create()
    {
        string folder = Directory.CreateTempSubdirectory("peerengine-e2e-tls-").FullName;
        var pki = new TestPki("PeerEngine e2e CA");
        File.WriteAllText(Path.Combine(folder, "ca.crt"), pki.Ca.ExportCertificatePem());
        TestPki.WritePem(pki.Issue(ServerId), folder, ServerId);
        TestPki.WritePem(pki.Issue(ClientId), folder, ClientId);
        return folder;
    }

    /// <summary>The folder this process was given, or a one-line error.</summary>
    public static string Folder => Environment.GetEnvironmentVariable(Variable)
        ?? throw new InvalidOperationException($"{Variable} is not set: the runner makes the TLS certificates.");

    /// <summary>The node's TLS options: its certificate, trusting the CA (what <c>peerengine run --tls-*</c> loads).</summary>
    public static PeerTlsOptions Node(string folder, string id) => new()
    {
        CertificatePath = Path.Combine(folder, id + ".crt"),
        KeyPath = Path.Combine(folder, id + ".key"),
        CertificateAuthorityPath = Path.Combine(folder, "ca.crt"),
    };

    /// <summary>A raw client's TLS 1.3 options: the client certificate, the server verified against the CA.</summary>
    public static SslClientAuthenticationOptions Client(string folder, bool allowResume = true)
    {
        X509Certificate2 certificate = X509Certificate2.CreateFromPemFile(
            Path.Combine(folder, ClientId + ".crt"), Path.Combine(folder, ClientId + ".key"));
        var chain = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        chain.CustomTrustStore.Add(X509CertificateLoader.LoadCertificateFromFile(Path.Combine(folder, "ca.crt")));
        return new SslClientAuthenticationOptions
        {
            TargetHost = string.Empty,
            EnabledSslProtocols = SslProtocols.Tls13,
            ClientCertificateContext = SslStreamCertificateContext.Create(certificate, null, offline: true),
            CertificateChainPolicy = chain,

            // Peers are named by node id, not host name: only the chain is checked here.
            RemoteCertificateValidationCallback = (_, _, _, errors) => (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None,
            AllowTlsResume = allowResume,
        };
    }
}
