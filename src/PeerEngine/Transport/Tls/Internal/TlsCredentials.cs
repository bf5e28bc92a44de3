using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PeerEngine.Transport.Tls.Internal;

/// <summary>One loaded set of the node's certificate and its trust; replaced whole when the files change.</summary>
internal sealed class TlsCredentials
{
    private static readonly Oid ServerAuthentication = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuthentication = new("1.3.6.1.5.5.7.3.2");

    private readonly X509Certificate2Collection _authorities;
    private readonly HashSet<string> _pinned;

    private TlsCredentials(X509Certificate2 certificate, X509Certificate2Collection intermediates, X509Certificate2Collection authorities, IEnumerable<X509Certificate2> pinned)
    {
        Certificate = certificate;
        Ids = CertificateIdentity.NamedIds(certificate);
        _authorities = authorities;
        _pinned = pinned.Select(HashOf).ToHashSet(StringComparer.Ordinal);

        // offline: the chain is built from what is given here, never fetched while a node starts.
        Context = SslStreamCertificateContext.Create(certificate, intermediates, offline: true);
    }

    /// <summary>The node's own certificate, with its key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>What the handshakes present: the certificate and its intermediates.</summary>
    public SslStreamCertificateContext Context { get; }

    /// <summary>The ids the node's certificate names.</summary>
    public string[] Ids { get; }

    /// <summary>Loads the files and certificates of <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">A file is missing or unreadable, holds no certificate, the key does not match, or the certificate is expired.</exception>
    public static TlsCredentials Load(PeerTlsOptions options, DateTimeOffset now)
    {
        X509Certificate2 certificate;
        var intermediates = new X509Certificate2Collection();
        if (options.Certificate is { } given)
        {
            certificate = given;
        }
        else
        {
            string certificatePath = options.CertificatePath!;
            X509Certificate2Collection chain = ReadCertificates(certificatePath, "TLS certificate");
            try
            {
                certificate = X509Certificate2.CreateFromPemFile(certificatePath, options.KeyPath);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException(KeyProblem(options.KeyPath!, e), nameof(options));
            }

            for (int i = 1; i < chain.Count; i++)
            {
                intermediates.Add(chain[i]);
            }
        }

        if (certificate.NotAfter.ToUniversalTime() < now.UtcDateTime)
        {
            throw new ArgumentException($"The TLS certificate {Describe(options)} expired on {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC.", nameof(options));
        }

        var authorities = new X509Certificate2Collection(options.CertificateAuthorities);
        if (options.CertificateAuthorityPath is { } caPath)
        {
            authorities.AddRange(ReadCertificates(caPath, "TLS CA file"));
        }

        return new TlsCredentials(certificate, intermediates, authorities, options.PinnedCertificates);
    }

    /// <summary>
    /// Whether <paramref name="peer"/> is trusted: its chain (with what the peer sent) ends at a
    /// configured authority, for the role the peer plays, at <paramref name="now"/>; or, without
    /// authorities, it is a pinned certificate within its validity. <paramref name="problem"/> says why not.
    /// </summary>
    public bool Trusts(X509Certificate2 peer, X509Chain? sent, bool peerIsClient, DateTimeOffset now, out string problem)
    {
        DateTime at = now.UtcDateTime;
        if (_authorities.Count == 0)
        {
            if (!_pinned.Contains(HashOf(peer)))
            {
                problem = "the peer's certificate is not one of the pinned certificates";
                return false;
            }

            if (at < peer.NotBefore.ToUniversalTime() || at > peer.NotAfter.ToUniversalTime())
            {
                problem = "the peer's certificate is expired or not yet valid";
                return false;
            }

            problem = string.Empty;
            return true;
        }

        // The TLS library built the chain with this node's policy (ChainPolicy) when it was given
        // one: checking that chain is the verification, and building another would double its cost.
        bool builtHere = sent is null || sent.ChainPolicy.TrustMode != X509ChainTrustMode.CustomRootTrust
            || sent.ChainElements.Count == 0 || !sent.ChainElements[0].Certificate.RawDataMemory.Span.SequenceEqual(peer.RawDataMemory.Span);
        X509Chain chain = builtHere ? new X509Chain { ChainPolicy = ChainPolicy(peerIsClient, now)! } : sent!;
        try
        {
            if (builtHere && sent is not null)
            {
                foreach (X509ChainElement element in sent.ChainElements)
                {
                    if (!ReferenceEquals(element.Certificate, peer))
                    {
                        chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                    }
                }
            }

            bool trusted = builtHere ? chain.Build(peer) : chain.ChainStatus.All(s => s.Status == X509ChainStatusFlags.NoError);
            problem = trusted ? string.Empty : DescribeChainProblem(chain);
            return trusted;
        }
        finally
        {
            if (builtHere)
            {
                chain.Dispose();
            }
        }
    }

    /// <summary>
    /// How a peer's chain is verified, for the TLS library to build it with: it ends at a configured
    /// authority, is valid at <paramref name="now"/>, and allows the role the peer plays;
    /// <see langword="null"/> with pinned certificates only, which are checked by hash instead.
    /// </summary>
    public X509ChainPolicy? ChainPolicy(bool peerIsClient, DateTimeOffset now)
    {
        if (_authorities.Count == 0)
        {
            return null;
        }

        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            VerificationTime = now.UtcDateTime,
            VerificationTimeIgnored = false,
        };
        policy.CustomTrustStore.AddRange(_authorities);
        policy.ApplicationPolicy.Add(peerIsClient ? ClientAuthentication : ServerAuthentication);
        return policy;
    }


    private static string DescribeChainProblem(X509Chain chain)
    {
        X509ChainStatusFlags flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        if ((flags & (X509ChainStatusFlags.NotTimeValid | X509ChainStatusFlags.NotTimeNested)) != 0)
        {
            return "the peer's certificate (or its CA) is expired or not yet valid";
        }

        if ((flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.NotSignatureValid)) != 0)
        {
            return "the peer's certificate is not signed by a trusted CA";
        }

        if ((flags & (X509ChainStatusFlags.NotValidForUsage | X509ChainStatusFlags.InvalidExtension)) != 0)
        {
            return "the peer's certificate is not valid for this use (its extended key usage)";
        }

        return "the peer's certificate chain is not valid: " + string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
    }

    private static X509Certificate2Collection ReadCertificates(string path, string what)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new ArgumentException($"The {what} '{path}' cannot be read: {FirstLine(e.Message)}", nameof(path));
        }

        if (certificates.Count == 0)
        {
            throw new ArgumentException($"The {what} '{path}' holds no certificate.", nameof(path));
        }

        return certificates;
    }

    private static string KeyProblem(string keyPath, Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => $"The TLS key '{keyPath}' does not exist.",
        UnauthorizedAccessException => $"The TLS key '{keyPath}' cannot be read: permission denied.",
        ArgumentException => $"The TLS key '{keyPath}' holds no private key that this certificate's public key matches.",
        _ => $"The TLS key '{keyPath}' does not match the certificate or cannot be read: {FirstLine(e.Message)}",
    };

    private static string Describe(PeerTlsOptions options) =>
        options.CertificatePath is { } path ? $"'{path}'" : $"'{options.Certificate?.Subject}'";

    private static string FirstLine(string message)
    {
        int end = message.AsSpan().IndexOfAny('\r', '\n');
        return end < 0 ? message : message[..end];
    }

    private static string HashOf(X509Certificate2 certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256);
}
