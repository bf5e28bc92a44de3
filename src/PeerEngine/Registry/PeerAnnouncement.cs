namespace PeerEngine;

/// <summary>What a node publishes about itself: its id and where it listens.</summary>
public sealed record PeerAnnouncement
{
    /// <summary>The peer's id: 1 to 64 printable ASCII characters, no spaces.</summary>
    public required string Id { get; init; }

    /// <summary>The TCP host (a name or an IP literal; an IPv6 literal may be bracketed). Required for <see cref="PeerTransport.Tcp"/>.</summary>
    public string Host { get; init; } = "";

    /// <summary>The TCP port, 1 to 65535. Required for <see cref="PeerTransport.Tcp"/>.</summary>
    public int Port { get; init; }

    /// <summary>How the peer is reached. Default <see cref="PeerTransport.Tcp"/>.</summary>
    public PeerTransport Transport { get; init; } = PeerTransport.Tcp;

    /// <summary>A Unix domain socket path (at most 107 UTF-8 bytes). Required for <see cref="PeerTransport.UnixSocket"/>, optional otherwise.</summary>
    public string? UnixPath { get; init; }
}
