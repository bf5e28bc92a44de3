using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PeerEngine.Framing;

namespace PeerEngine;

/// <summary>
/// Where a peer listens: a host (an IP address, or a DNS name resolved when dialled) and a TCP port,
/// or a Unix socket path. Written <c>HOST:PORT</c>, <c>[IPv6]:PORT</c> or <c>unix:PATH</c>.
/// </summary>
public sealed class PeerAddress : IEquatable<PeerAddress>
{
    private const string UnixScheme = "unix:";

    private PeerAddress(string? host, int port, string? unixSocketPath, EndPoint endPoint)
    {
        Host = host;
        Port = port;
        UnixSocketPath = unixSocketPath;
        EndPoint = endPoint;
    }

    /// <summary>The host, or <c>null</c> for a Unix socket.</summary>
    public string? Host { get; }

    /// <summary>The TCP port, or 0 for a Unix socket.</summary>
    public int Port { get; }

    /// <summary>The Unix socket path, or <c>null</c> for a TCP address.</summary>
    public string? UnixSocketPath { get; }

    /// <summary>The endpoint dialled: an <see cref="IPEndPoint"/>, a <see cref="DnsEndPoint"/> or a <see cref="UnixDomainSocketEndPoint"/>.</summary>
    public EndPoint EndPoint { get; }

    /// <summary>A TCP address.</summary>
    /// <exception cref="ArgumentException">The host is neither an IP address nor a DNS name, or the port is not 1–65535.</exception>
    public static PeerAddress Tcp(string host, int port) =>
        TryTcp(host, port, out PeerAddress? address, out string? problem)
            ? address
            : throw new ArgumentException($"Not a peer address: {problem}.", nameof(host));

    /// <summary>A Unix socket path.</summary>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    public static PeerAddress Unix(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new PeerAddress(null, 0, path, new UnixDomainSocketEndPoint(path));
    }

    /// <summary>The address of an <see cref="IPEndPoint"/>, a <see cref="DnsEndPoint"/> or a <see cref="UnixDomainSocketEndPoint"/>.</summary>
    /// <exception cref="ArgumentException">Another kind of endpoint, or a port out of range.</exception>
    public static PeerAddress FromEndPoint(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => Tcp(ip.Address.ToString(), ip.Port),
        DnsEndPoint dns => Tcp(dns.Host, dns.Port),
        UnixDomainSocketEndPoint unix => Unix(unix.ToString()),
        null => throw new ArgumentNullException(nameof(endPoint)),
        _ => throw new ArgumentException($"A peer is reached over TCP or a Unix socket, not at a {endPoint.GetType().Name}.", nameof(endPoint)),
    };

    /// <summary>
    /// Where the peer of <paramref name="record"/> is dialled (the rule a node follows): its Unix socket
    /// when it publishes only that, or when <paramref name="preferUnixSockets"/>; otherwise its host and
    /// port. <c>null</c> when the record cannot be dialled (an invalid id, host or port).
    /// </summary>
    public static PeerAddress? FromRecord(PeerRecord record, bool preferUnixSockets = true) =>
        TryFromRecord(record, preferUnixSockets, out PeerAddress? address, out _) ? address : null;

    /// <summary>Reads <c>HOST:PORT</c>, <c>[IPv6]:PORT</c> or <c>unix:PATH</c>.</summary>
    /// <exception cref="FormatException">The text is none of these; the message says why.</exception>
    public static PeerAddress Parse(string text) =>
        TryParse(text, out PeerAddress? address, out string? problem)
            ? address
            : throw new FormatException($"'{text}' is not a peer address (HOST:PORT, [IPv6]:PORT or unix:PATH): {problem}.");

    /// <summary>Reads <c>HOST:PORT</c>, <c>[IPv6]:PORT</c> or <c>unix:PATH</c>; false when the text is none of these.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out PeerAddress? address) =>
        TryParse(text, out address, out _);

    /// <inheritdoc/>
    public override string ToString() => UnixSocketPath is { } path
        ? UnixScheme + path
        : Host!.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <inheritdoc/>
    public bool Equals(PeerAddress? other) =>
        other is not null && Port == other.Port
        && string.Equals(Host, other.Host, StringComparison.OrdinalIgnoreCase)
        && string.Equals(UnixSocketPath, other.UnixSocketPath, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as PeerAddress);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(
        Host is null ? 0 : StringComparer.OrdinalIgnoreCase.GetHashCode(Host), Port, UnixSocketPath);

    /// <summary>
    /// <see cref="FromRecord"/>, saying why a record cannot be dialled: records come from any discovery,
    /// so each is checked here, and one that cannot be dialled is reported instead of throwing.
    /// </summary>
    internal static bool TryFromRecord(in PeerRecord peer, bool preferUnixSockets, [NotNullWhen(true)] out PeerAddress? address, [NotNullWhen(false)] out string? problem)
    {
        address = null;
        if (peer.Id is null || !NodeIdSyntax.IsValid(peer.Id.AsSpan()))
        {
            problem = $"its id '{peer.Id}' is not a valid node id";
            return false;
        }

        if (!string.IsNullOrEmpty(peer.UnixPath) && (preferUnixSockets || peer.Transport == PeerTransport.UnixSocket))
        {
            address = Unix(peer.UnixPath);
            problem = null;
            return true;
        }

        return TryTcp(peer.Host, peer.Port, out address, out problem);
    }

    private static bool TryParse([NotNullWhen(true)] string? text, [NotNullWhen(true)] out PeerAddress? address, [NotNullWhen(false)] out string? problem)
    {
        address = null;
        if (string.IsNullOrEmpty(text))
        {
            problem = "it is empty";
            return false;
        }

        if (text.StartsWith(UnixScheme, StringComparison.Ordinal))
        {
            if (text.Length == UnixScheme.Length)
            {
                problem = "the Unix socket path is empty";
                return false;
            }

            address = Unix(text[UnixScheme.Length..]);
            problem = null;
            return true;
        }

        int colon = text.LastIndexOf(':');
        if (colon < 0)
        {
            problem = "there is no :PORT";
            return false;
        }

        string host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
            if (!IPAddress.TryParse(host, out IPAddress? v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                problem = $"'{host}' in brackets is not an IPv6 address";
                return false;
            }
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            problem = "an IPv6 address is written in brackets, [::1]:PORT";
            return false;
        }

        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port))
        {
            problem = $"the port '{text[(colon + 1)..]}' is not a number";
            return false;
        }

        return TryTcp(host, port, out address, out problem);
    }

    private static bool TryTcp(string? host, int port, [NotNullWhen(true)] out PeerAddress? address, [NotNullWhen(false)] out string? problem)
    {
        address = null;
        if (port is < IPEndPoint.MinPort + 1 or > IPEndPoint.MaxPort)
        {
            problem = $"the port {port} is out of range (1-65535)";
            return false;
        }

        if (IPAddress.TryParse(host, out IPAddress? ip))
        {
            address = new PeerAddress(ip.ToString(), port, null, new IPEndPoint(ip, port));
        }
        else if (!string.IsNullOrEmpty(host) && Uri.CheckHostName(host) == UriHostNameType.Dns)
        {
            address = new PeerAddress(host, port, null, new DnsEndPoint(host, port));
        }
        else
        {
            problem = $"the host '{host}' is neither an IP address nor a DNS name";
            return false;
        }

        problem = null;
        return true;
    }
}
