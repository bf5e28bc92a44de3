using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PeerEngine.Tests.Transport.Tls;

/// <summary>A private CA made for one test, and node certificates it (or nobody) signs.</summary>
internal sealed class TestPki
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    public TestPki(string name = "PeerEngine test CA")
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        Ca = request.CreateSelfSigned(now.AddDays(-30), now.AddYears(5));
    }

    public X509Certificate2 Ca { get; }

    /// <summary>A node certificate: CN=<paramref name="commonName"/> (default the first id) and a <c>peerengine:ID</c> URI per id.</summary>
    public X509Certificate2 Issue(
        string[] uriIds,
        string? commonName = null,
        DateTimeOffset? notBefore = null,
        DateTimeOffset? notAfter = null)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName ?? uriIds[0]}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuthentication, ClientAuthentication], false));
        if (uriIds.Length > 0)
        {
            var names = new SubjectAlternativeNameBuilder();
            foreach (string id in uriIds)
            {
                names.AddUri(new Uri("peerengine:" + id));
            }

            request.CertificateExtensions.Add(names.Build());
        }

        DateTimeOffset now = DateTimeOffset.UtcNow;
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using X509Certificate2 issued = request.Create(Ca, notBefore ?? now.AddDays(-1), notAfter ?? now.AddDays(30), serial);
        return issued.CopyWithPrivateKey(key);
    }

    public X509Certificate2 Issue(string id) => Issue([id]);

    /// <summary>TLS options trusting this CA, presenting <paramref name="certificate"/>.</summary>
    public PeerTlsOptions Options(X509Certificate2 certificate)
    {
        var options = new PeerTlsOptions { Certificate = certificate };
        options.CertificateAuthorities.Add(Ca);
        return options;
    }

    /// <summary>Writes the certificate and its key as PEM files in <paramref name="folder"/>; returns their paths.</summary>
    public static (string Certificate, string Key) WritePem(X509Certificate2 certificate, string folder, string name)
    {
        string certificatePath = Path.Combine(folder, name + ".crt");
        string keyPath = Path.Combine(folder, name + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        using ECDsa key = certificate.GetECDsaPrivateKey()!;
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }
}
