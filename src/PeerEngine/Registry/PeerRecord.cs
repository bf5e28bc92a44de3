namespace PeerEngine;

/// <summary>
/// One live peer as a discovery snapshot saw it. A value type, so that filling a caller-supplied
/// buffer allocates nothing; the strings are decoded once per registration and then shared.
/// </summary>
/// <param name="Id">The peer's id, unique among the live peers of a registry.</param>
/// <param name="Host">The TCP host (a name or an IP literal, IPv6 without brackets); empty for a Unix-only peer.</param>
/// <param name="Port">The TCP port; 0 for a Unix-only peer.</param>
/// <param name="Transport">How the peer is reached.</param>
/// <param name="UnixPath">The Unix domain socket path, or <see langword="null"/> when none was published.</param>
/// <param name="ProcessId">The id of the process that published the peer (informative: a pid can be reused).</param>
/// <param name="StartTime">When the publishing process started.</param>
/// <param name="LastSeen">The peer's last heartbeat.</param>
public readonly record struct PeerRecord(
    string Id,
    string Host,
    int Port,
    PeerTransport Transport,
    string? UnixPath,
    int ProcessId,
    DateTimeOffset StartTime,
    DateTimeOffset LastSeen);
