namespace PeerEngine.Transport.Sockets;

/// <summary>Buffering and socket settings of one socket connection.</summary>
internal sealed record SocketTransportOptions
{
    /// <summary>
    /// Wait for data with a zero-byte receive before renting a buffer, so that an idle connection
    /// holds no receive memory (Kestrel's WaitForDataBeforeAllocatingBuffer).
    /// </summary>
    public bool WaitForDataBeforeAllocatingBuffer { get; init; } = true;

    /// <summary>
    /// Received bytes the protocol has not consumed yet, beyond which the socket is not read (TCP then
    /// pushes back on the peer). Must exceed the largest frame, or a frame could never complete.
    /// </summary>
    public long MaxReceiveBufferSize { get; init; } = 1024 * 1024 + 64 * 1024;

    /// <summary>Bytes written and not yet sent, beyond which writers wait (a peer that does not read).</summary>
    public long MaxSendBufferSize { get; init; } = 1024 * 1024;
}
