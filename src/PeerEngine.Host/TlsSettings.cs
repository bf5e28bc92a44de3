using System.CommandLine;
using PeerEngine.Framing;

namespace PeerEngine.Host;

/// <summary>
/// The TLS options of <c>run</c>, <c>send</c> and <c>peers</c> (<c>--tls-cert</c>, <c>--tls-key</c>,
/// <c>--tls-ca</c>, also as PEERENGINE_TLS_CERT and so on): the three go together, and every problem
/// with the files is bad input, found before anything starts.
/// </summary>
internal sealed class TlsSettings
{
    private readonly Option<string?> _certificate = Settings.Text("--tls-cert", "This node's certificate (PEM); with --tls-key and --tls-ca the node speaks mutual TLS only.");
    private readonly Option<string?> _key = Settings.Text("--tls-key", "The private key of --tls-cert (PEM).");
    private readonly Option<string?> _authorities = Settings.Text("--tls-ca", "The CA certificates trusted to sign peers' certificates (PEM, one or several).");

    public void AddTo(Command command)
    {
        command.Options.Add(_certificate);
        command.Options.Add(_key);
        command.Options.Add(_authorities);
    }

    /// <summary>The TLS options given, or <c>null</c> for none.</summary>
    /// <exception cref="CliException">Only some of the three were given (bad usage).</exception>
    public PeerTlsOptions? Read(ParseResult result)
    {
        string? certificate = result.GetValue(_certificate);
        string? key = result.GetValue(_key);
        string? authorities = result.GetValue(_authorities);
        int given = (certificate is null ? 0 : 1) + (key is null ? 0 : 1) + (authorities is null ? 0 : 1);
        if (given == 0)
        {
            return null;
        }

        if (given < 3)
        {
            throw CliException.Usage("--tls-cert, --tls-key and --tls-ca go together");
        }

        return new PeerTlsOptions { CertificatePath = certificate, KeyPath = key, CertificateAuthorityPath = authorities };
    }

    /// <summary>
    /// Loads the node's certificate as the node will, so that a missing or unreadable file, a key that
    /// does not match, an expired certificate or one that does not name a valid id (or the
    /// <c>--id</c> given) is one line and exit 2 rather than a failed start.
    /// </summary>
    /// <returns>The node's id: the one given, else the first the certificate names.</returns>
    public static async Task<string> CheckAsync(PeerNodeOptions options)
    {
        if (options.NodeId is { } id && !NodeIdSyntax.IsValid(id.AsSpan()))
        {
            throw CliException.Usage($"--id '{id}' is not a valid node id (1-64 ASCII letters, digits, '.', '_', '-')");
        }

        try
        {
            await using var probe = new PeerNode(options);
            return probe.Id;
        }
        catch (ArgumentException e)
        {
            string message = e.Message.Split(" (Parameter", 2)[0].Replace("Option NodeId", "--id", StringComparison.Ordinal);
            throw CliException.Usage(RegistryAccess.OneLine(message));
        }
    }
}
