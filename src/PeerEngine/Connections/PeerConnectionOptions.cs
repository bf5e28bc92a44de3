using PeerEngine.Framing;
using PeerEngine.Connections;

namespace PeerEngine;

/// <summary>
/// The limits and timeouts of a peer connection. Every one has a default taken from the wire
/// protocol or from what trusted servers ship (Kestrel, NATS), and every one is enforced.
/// </summary>
public sealed class PeerConnectionOptions
{
    /// <summary>
    /// The largest payload accepted from a peer, announced in this node's HELLO (protocol version 2).
    /// A payload sent to a version-2 peer is checked against the maximum that peer announced; one sent
    /// to a version-1 peer, which announces none, against this. Default 1 MiB. A maximum under 1,024
    /// bytes cannot be announced (a HELLO's smallest), so such a node speaks protocol version 1 only.
    /// </summary>
    public int MaxPayloadLength { get; set; } = WireProtocol.DefaultMaxPayloadLength;

    /// <summary>
    /// The highest protocol version this node speaks: it dials with it (falling back to version 1 for a
    /// peer that refuses it) and accepts peers of any version up to it. Version 2 carries trace context
    /// and each side's maximum payload; 1 makes a version-1-only node (as does a
    /// <see cref="MaxPayloadLength"/> under 1,024). Default 2.
    /// </summary>
    public int ProtocolVersion { get; set; } = WireProtocol.Version2;

    /// <summary>Time from the accept (or the connect) within which the peer's HELLO must arrive. Default 5 s.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Silence after which a PING is sent, and again after each further interval. Default 15 s.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Silence after which the connection is closed without a further frame. Default 45 s.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>
    /// The slowest a started frame may arrive, in bytes per second averaged from its first byte
    /// (the slowloris defence). Default 240 B/s, as Kestrel's minimum request body data rate.
    /// </summary>
    public double MinDataRate { get; set; } = 240;

    /// <summary>How long a started frame may take before <see cref="MinDataRate"/> is enforced. Default 5 s.</summary>
    public TimeSpan MinDataRateGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Requests and messages from the peer being handled at once on one connection. At the limit the
    /// connection stops reading and TCP pushes back on the peer (rule 8). Default 1,024; at least 256.
    /// </summary>
    public int MaxRequestsInFlight { get; set; } = 1024;

    /// <summary>
    /// Bytes written to the peer and not yet sent, beyond which senders wait: a peer that does not read
    /// cannot make this side buffer without bound. Default 1 MiB.
    /// </summary>
    public int MaxSendBufferSize { get; set; } = 1024 * 1024;

    /// <summary>How long an outgoing request waits for its answer unless the call says otherwise. Default 30 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a graceful close waits for the work in flight before cutting the connection. Default 10 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// After sending a connection ERROR, how long incoming bytes are read and discarded before the
    /// socket is closed, so that the peer receives the ERROR rather than a reset (rule 5). Default 1 s.
    /// </summary>
    public TimeSpan CloseLinger { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Wait for data with a zero-byte receive before renting a receive buffer, so an idle connection
    /// owns no buffer. Default on.
    /// </summary>
    public bool WaitForDataBeforeAllocatingBuffer { get; set; } = true;

    /// <summary>
    /// Run the request and message handlers of each receive in the connection's receive loop, on the
    /// pool thread where the receive completed, as Kestrel runs a connection's user code: no thread
    /// hop between a receive and its answers, and a handler that completes synchronously reads its
    /// payload where it lies in the receive buffer, with no copy. While a handler runs synchronously
    /// its connection reads nothing, so a handler that blocks (a lock, a synchronous wait, long CPU
    /// work) delays the requests behind it on its own connection, and holds a pool thread; never
    /// another connection's. A handler that awaits gives the loop back at its first incomplete await.
    /// Where socket completions run on the socket engine's own thread
    /// (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>), each receive's handlers are handed to
    /// the thread pool instead: user code never runs on that thread, which serves every connection.
    /// Default on: handlers that complete synchronously then run, and answer, in arrival order. Off,
    /// every receive's handlers are handed to the thread pool (a hop per receive and a copy per
    /// payload) and the connection goes on reading at once: for handlers that block, so a blocked
    /// handler does not hold up the requests behind it on the same connection; the handlers of two
    /// receives may then run at the same time, out of order.
    /// </summary>
    public bool InlineHandlers { get; set; } = true;

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first option out of range.</summary>
    public void Validate()
    {
        Require(MaxPayloadLength > 0, nameof(MaxPayloadLength), "must be positive");
        Require(MaxPayloadLength <= 1024 * 1024 * 1024, nameof(MaxPayloadLength), "must be at most 1 GiB");
        Require(ProtocolVersion is WireProtocol.Version or WireProtocol.Version2, nameof(ProtocolVersion), "must be 1 or 2");
        RequirePositive(HandshakeTimeout, nameof(HandshakeTimeout));
        RequirePositive(KeepAliveInterval, nameof(KeepAliveInterval));
        RequirePositive(KeepAliveTimeout, nameof(KeepAliveTimeout));
        Require(KeepAliveTimeout > KeepAliveInterval, nameof(KeepAliveTimeout), "must be longer than KeepAliveInterval");
        Require(MinDataRate >= 0, nameof(MinDataRate), "must not be negative");
        Require(MinDataRateGracePeriod >= TimeSpan.Zero, nameof(MinDataRateGracePeriod), "must not be negative");
        Require(MaxRequestsInFlight >= 256, nameof(MaxRequestsInFlight), "must be at least 256 (wire protocol rule 8)");
        Require(MaxSendBufferSize > 0, nameof(MaxSendBufferSize), "must be positive");
        Require(RequestTimeout > TimeSpan.Zero || RequestTimeout == Timeout.InfiniteTimeSpan, nameof(RequestTimeout), "must be positive or infinite");
        RequirePositive(DrainTimeout, nameof(DrainTimeout));
        Require(CloseLinger >= TimeSpan.Zero, nameof(CloseLinger), "must not be negative");
    }

    internal PeerConnectionOptions Clone() => (PeerConnectionOptions)MemberwiseClone();

    private static void RequirePositive(TimeSpan value, string name) => Require(value > TimeSpan.Zero, name, "must be positive");

    private static void Require(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"Option {name} {rule}.", name);
        }
    }
}
