namespace PeerEngine.Registry.Internal;

/// <summary>Everything a live slot holds, decoded; the sequence number and checksum are framing around it.</summary>
internal sealed record SlotContent(
    ulong RegistrationId,
    int ProcessId,
    int TtlMs,
    int HeartbeatIntervalMs,
    long ProcessStartMs,
    long PublishedMs,
    string Id,
    string Host,
    int Port,
    PeerTransport Transport,
    string? UnixPath)
{
    /// <summary>Converted once per decode rather than once per snapshot.</summary>
    public DateTimeOffset ProcessStart { get; } = DateTimeOffset.FromUnixTimeMilliseconds(ProcessStartMs);

    public PeerRecord ToRecord(long heartbeatMs) => new(
        Id,
        Host,
        Port,
        Transport,
        UnixPath,
        ProcessId,
        ProcessStart,
        DateTimeOffset.FromUnixTimeMilliseconds(heartbeatMs));
}
