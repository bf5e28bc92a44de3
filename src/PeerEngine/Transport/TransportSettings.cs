using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PeerEngine.Diagnostics;
using PeerEngine.Framing;

namespace PeerEngine.Transport;

/// <summary>What the protocol layer asks of every connection a transport makes: buffer limits, the
/// scheduler of the send side, and where to log and count.</summary>
internal sealed record TransportSettings
{
    /// <summary>
    /// Wait for data with a zero-byte receive before renting a buffer, so that an idle connection
    /// holds no receive memory (Kestrel's WaitForDataBeforeAllocatingBuffer).
    /// </summary>
    public bool WaitForDataBeforeAllocatingBuffer { get; init; } = true;

    /// <summary>
    /// Received bytes the protocol has not consumed yet, beyond which the transport stops reading (the
    /// peer is then pushed back on). Must exceed the largest frame, or a frame could never complete.
    /// </summary>
    public long MaxReceiveBufferSize { get; init; } = ReceiveBufferFor(1024 * 1024);

    /// <summary>Bytes written and not yet sent, beyond which writers wait (a peer that does not read).</summary>
    public long MaxSendBufferSize { get; init; } = 1024 * 1024;

    /// <summary>
    /// Runs the transport's sending loop when the protocol has flushed bytes: the protocol layer chooses
    /// when sends go out (it batches the answers of one receive into one send), the transport only sends.
    /// </summary>
    public PipeScheduler SendLoopScheduler { get; init; } = PipeScheduler.ThreadPool;

    public ILogger Logger { get; init; } = NullLogger.Instance;

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Where to count; the shared instruments only when none are given (made on first use, see <see cref="PeerEngineMetrics.Shared"/>).</summary>
    public PeerEngineMetrics Metrics { get => field ?? PeerEngineMetrics.Shared; init; }

    /// <summary>
    /// The receive buffer for frames of up to <paramref name="maxPayloadLength"/>: a whole frame must
    /// fit below the pause threshold, or it could never be completed; 64 KiB more lets the next
    /// frames' first bytes arrive behind it.
    /// </summary>
    public static long ReceiveBufferFor(int maxPayloadLength) => (long)maxPayloadLength + WireProtocol.HeaderSize + 64 * 1024;
}
