using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace PeerEngine.Registry.Internal;

/// <summary>
/// What a slot's strings may hold. Publishing checks them with a message naming the rule; reading
/// checks them again, because a slot's bytes are untrusted input (any process of the user can write
/// the file).
/// </summary>
internal static class PeerFieldRules
{
    // Printable ASCII without space: ids and hosts end up in host:port lines and log lines.
    private static readonly SearchValues<byte> Printable = SearchValues.Create(Enumerable.Range(0x21, 0x7E - 0x21 + 1).Select(b => (byte)b).ToArray());

    public static bool IsValidId(ReadOnlySpan<byte> id) =>
        id.Length is >= 1 and <= RegistryLayout.MaxIdBytes && !id.ContainsAnyExcept(Printable);

    public static bool IsValidHost(ReadOnlySpan<byte> host) =>
        host.Length <= RegistryLayout.MaxHostBytes && !host.ContainsAnyExcept(Printable);

    public static bool IsValidUnixPath(ReadOnlySpan<byte> path) =>
        path.Length <= RegistryLayout.MaxPathBytes && !path.Contains((byte)0) && Utf8.IsValid(path);

    /// <summary>Checks a peer before it is published and returns it normalised (IPv6 brackets removed).</summary>
    public static PeerAnnouncement Validate(PeerAnnouncement peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(peer.Id, nameof(peer.Id));
        ArgumentNullException.ThrowIfNull(peer.Host, nameof(peer.Host));
        if (!IsValidId(Encoding.UTF8.GetBytes(peer.Id)))
        {
            throw new ArgumentException($"Peer id '{peer.Id}' is invalid: use 1 to {RegistryLayout.MaxIdBytes} printable ASCII characters without spaces.", nameof(peer));
        }

        string host = peer.Host;
        if (host.Length > 2 && host[0] == '[' && host[^1] == ']')
        {
            host = host[1..^1];
        }

        if (!IsValidHost(Encoding.UTF8.GetBytes(host)))
        {
            throw new ArgumentException($"Host '{peer.Host}' is invalid: use at most {RegistryLayout.MaxHostBytes} printable ASCII characters without spaces.", nameof(peer));
        }

        if (peer.UnixPath is not null && (peer.UnixPath.Length == 0 || !IsValidUnixPath(Encoding.UTF8.GetBytes(peer.UnixPath))))
        {
            throw new ArgumentException($"Unix socket path '{peer.UnixPath}' is invalid: use 1 to {RegistryLayout.MaxPathBytes} UTF-8 bytes without NUL.", nameof(peer));
        }

        switch (peer.Transport)
        {
            case PeerTransport.Tcp:
                if (host.Length == 0 || peer.Port is < 1 or > 65535)
                {
                    throw new ArgumentException($"A TCP peer needs a host and a port between 1 and 65535 (got '{peer.Host}' and {peer.Port}).", nameof(peer));
                }

                break;
            case PeerTransport.UnixSocket:
                if (peer.UnixPath is null || host.Length != 0 || peer.Port != 0)
                {
                    throw new ArgumentException("A Unix-socket peer needs a Unix path, and no host or port.", nameof(peer));
                }

                break;
            default:
                throw new ArgumentException($"Unknown transport {peer.Transport}.", nameof(peer));
        }

        return host == peer.Host ? peer : peer with { Host = host };
    }
}
