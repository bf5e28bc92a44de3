using System.Security.Cryptography.X509Certificates;

namespace PeerEngine;

/// <summary>
/// Mutual TLS for a node: it listens with TLS only and dials its peers with TLS 1.3, both sides
/// present a certificate, and each peer's HELLO id must be one its certificate names (its
/// <c>peerengine:ID</c> URIs, else its subject common name).
/// </summary>
/// <remarks>
/// The node's certificate comes from <see cref="CertificatePath"/> and <see cref="KeyPath"/> (PEM
/// files, reloaded when they change on disk) or from <see cref="Certificate"/>. Peers are trusted
/// when their chain ends at one of the authorities (<see cref="CertificateAuthorityPath"/>,
/// <see cref="CertificateAuthorities"/>), or, without authorities, when their certificate is one of
/// <see cref="PinnedCertificates"/>.
/// </remarks>
public sealed class PeerTlsOptions
{
    /// <summary>The node's certificate, PEM; it may be followed by intermediate CA certificates. Used with <see cref="KeyPath"/>.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The private key of <see cref="CertificatePath"/>, PEM (PKCS#8, PKCS#1 or SEC1, unencrypted).</summary>
    public string? KeyPath { get; set; }

    /// <summary>The node's certificate with its private key, instead of <see cref="CertificatePath"/> and <see cref="KeyPath"/>.</summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>A PEM file of the CA certificates trusted to sign peers' certificates (one or several).</summary>
    public string? CertificateAuthorityPath { get; set; }

    /// <summary>CA certificates trusted to sign peers' certificates, besides those of <see cref="CertificateAuthorityPath"/>.</summary>
    public X509Certificate2Collection CertificateAuthorities { get; } = [];

    /// <summary>
    /// Peer certificates trusted as they are (compared by their SHA-256 hash), for peers without a CA.
    /// Used only when no CA is configured; they must still be within their validity period.
    /// </summary>
    public X509Certificate2Collection PinnedCertificates { get; } = [];

    /// <summary>
    /// Which peers may connect to this node, asked with the peer's id once its certificate and its
    /// HELLO agree; a peer it refuses gets ERROR 1 and is closed. Default: every peer the trust accepts.
    /// </summary>
    public Func<string, bool>? AuthorizePeer { get; set; }

    /// <summary>
    /// Accepted connections still in their TLS handshake or waiting for their HELLO, beyond which new
    /// ones are closed at once, so that a flood of slow handshakes costs a bounded amount of work and
    /// memory. Default 256.
    /// </summary>
    public int MaxPendingHandshakes { get; set; } = 256;

    /// <summary>
    /// How often the certificate, key and CA files are checked for a change on disk; a change is loaded
    /// for the connections opened after it, without a restart. Default 1 second.
    /// </summary>
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first option missing or out of range.</summary>
    public void Validate()
    {
        bool fromFiles = CertificatePath is not null || KeyPath is not null;
        if (fromFiles && (string.IsNullOrWhiteSpace(CertificatePath) || string.IsNullOrWhiteSpace(KeyPath)))
        {
            throw new ArgumentException($"Options {nameof(CertificatePath)} and {nameof(KeyPath)} go together.", fromFiles ? nameof(KeyPath) : nameof(CertificatePath));
        }

        if (fromFiles == (Certificate is not null))
        {
            throw new ArgumentException(
                $"TLS needs the node's certificate: either {nameof(CertificatePath)} and {nameof(KeyPath)}, or {nameof(Certificate)}.",
                nameof(Certificate));
        }

        if (Certificate is { HasPrivateKey: false })
        {
            throw new ArgumentException($"Option {nameof(Certificate)} must carry its private key.", nameof(Certificate));
        }

        if (CertificateAuthorityPath is null && CertificateAuthorities.Count == 0 && PinnedCertificates.Count == 0)
        {
            throw new ArgumentException(
                $"TLS needs a trust: {nameof(CertificateAuthorityPath)}, {nameof(CertificateAuthorities)} or {nameof(PinnedCertificates)}.",
                nameof(CertificateAuthorityPath));
        }

        if (MaxPendingHandshakes < 1)
        {
            throw new ArgumentException($"Option {nameof(MaxPendingHandshakes)} must be at least 1, not {MaxPendingHandshakes}.", nameof(MaxPendingHandshakes));
        }

        if (ReloadInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Option {nameof(ReloadInterval)} must be positive, not {ReloadInterval}.", nameof(ReloadInterval));
        }
    }
}
