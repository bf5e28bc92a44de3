using System.Diagnostics.Metrics;
using PeerEngine.Diagnostics;

namespace PeerEngine;

/// <summary>
/// The engine's instruments, on the meter named <c>PeerEngine</c> (hosts opt in with
/// <c>AddMeter("PeerEngine")</c>). Created through <see cref="IMeterFactory"/> where DI is present,
/// so tests and hosts can isolate them; otherwise <see cref="Shared"/> serves the process.
/// </summary>
/// <remarks>
/// The hot path costs nothing when no listener is attached: frames and bytes are plain counters on
/// each connection, read by observable instruments only when a collector asks; the request-duration
/// histogram is recorded only while it is enabled. Names follow the OpenTelemetry conventions
/// (lowercase, dotted, UCUM units, durations in seconds); peer ids are never attributes (unbounded
/// cardinality): they belong on spans and logs.
/// </remarks>
public sealed class PeerEngineMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "PeerEngine";

    private readonly Meter _meter;
    private readonly HashSet<IConnectionCounters> _open = [];
    private long _closedFramesReceived;
    private long _closedFramesSent;
    private long _closedBytesReceived;
    private long _closedBytesSent;

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>, or on a meter of their own.</summary>
    public PeerEngineMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        ActiveConnections = _meter.CreateUpDownCounter<long>("peerengine.active_connections", "{connection}", "Connections open now.");
        OpenedConnections = _meter.CreateCounter<long>("peerengine.connections.opened", "{connection}", "Connections that completed their handshake.");
        ClosedConnections = _meter.CreateCounter<long>("peerengine.connections.closed", "{connection}", "Connections that ended, by reason.");
        FailedConnections = _meter.CreateCounter<long>("peerengine.connections.failed", "{connection}", "Outgoing connects that failed.");
        RejectedConnections = _meter.CreateCounter<long>("peerengine.rejected_connections", "{connection}", "Connections refused at the MaxConnections limit.");
        AcceptBackoffs = _meter.CreateCounter<long>("peerengine.accept.backoffs", "{backoff}", "Accepts deferred because the process ran out of file descriptors.");
        TlsRefusals = _meter.CreateCounter<long>("peerengine.tls.refused", "{connection}", "Connections refused by TLS or by the peer identity check, by reason and direction.");
        Errors = _meter.CreateCounter<long>("peerengine.errors", "{error}", "ERROR frames, by code and direction.");
        RequestDuration = _meter.CreateHistogram(
            "peerengine.client.request.duration",
            "s",
            "Time from sending a REQUEST to its answer, as seen by the requester.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets.Boundaries });
        ServerRequestDuration = _meter.CreateHistogram(
            "peerengine.server.request.duration",
            "s",
            "Time a request handler took, from its start to the end of its work, as seen by the node that handles it.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets.Boundaries });
        _meter.CreateObservableCounter("peerengine.frames.received", () => Sum(c => c.FramesReceived, _closedFramesReceived), "{frame}", "Frames received.");
        _meter.CreateObservableCounter("peerengine.frames.sent", () => Sum(c => c.FramesSent, _closedFramesSent), "{frame}", "Frames sent.");
        _meter.CreateObservableCounter("peerengine.bytes.received", () => Sum(c => c.BytesReceived, _closedBytesReceived), "By", "Frame bytes received, headers included.");
        _meter.CreateObservableCounter("peerengine.bytes.sent", () => Sum(c => c.BytesSent, _closedBytesSent), "By", "Frame bytes sent, headers included.");
        _meter.CreateObservableUpDownCounter("peerengine.requests.in_flight", () => Sum(c => c.OutgoingRequests, 0), "{request}", "Requests sent and awaiting their answer.");
    }

    /// <summary>The instruments of every node and connection that was given none.</summary>
    /// <remarks>
    /// Made on first use, not with the type: a meter of this name made beside the one a host's
    /// <see cref="IMeterFactory"/> gives would show every instrument twice, one copy always 0.
    /// </remarks>
    public static PeerEngineMetrics Shared => SharedInstance.Value;

    internal Meter Meter => _meter;

    internal UpDownCounter<long> ActiveConnections { get; }

    internal Counter<long> OpenedConnections { get; }

    internal Counter<long> ClosedConnections { get; }

    internal Counter<long> FailedConnections { get; }

    internal Counter<long> RejectedConnections { get; }

    internal Counter<long> AcceptBackoffs { get; }

    internal Counter<long> Errors { get; }

    internal Counter<long> TlsRefusals { get; }

    /// <summary>The requester's time from sending a REQUEST to its answer.</summary>
    internal Histogram<double> RequestDuration { get; }

    /// <summary>The handling node's time in the request handler.</summary>
    internal Histogram<double> ServerRequestDuration { get; }

    /// <summary>Releases the meter.</summary>
    public void Dispose() => _meter.Dispose();

    internal void TlsRefused(bool outbound, string reason) =>
        TlsRefusals.Add(1, new KeyValuePair<string, object?>("reason", reason), new KeyValuePair<string, object?>("direction", outbound ? "outbound" : "inbound"));

    internal void ConnectionOpened(IConnectionCounters connection)
    {
        lock (_open)
        {
            _open.Add(connection);
        }

        ActiveConnections.Add(1);
    }

    internal void ConnectionClosed(IConnectionCounters connection, ShutdownReason reason)
    {
        lock (_open)
        {
            if (!_open.Remove(connection))
            {
                return;
            }

            _closedFramesReceived += connection.FramesReceived;
            _closedFramesSent += connection.FramesSent;
            _closedBytesReceived += connection.BytesReceived;
            _closedBytesSent += connection.BytesSent;
        }

        ActiveConnections.Add(-1);
        ClosedConnections.Add(1, new KeyValuePair<string, object?>("peerengine.shutdown.reason", reason.ToString()));
    }

    internal void Error(ErrorCode code, bool sent) =>
        Errors.Add(1, new KeyValuePair<string, object?>("error.code", (int)code), new KeyValuePair<string, object?>("direction", sent ? "sent" : "received"));

    private long Sum(Func<IConnectionCounters, long> counter, long closed)
    {
        lock (_open)
        {
            long total = closed;
            foreach (IConnectionCounters connection in _open)
            {
                total += counter(connection);
            }

            return total;
        }
    }

    /// <summary>Holds <see cref="Shared"/>: its own type, so that nothing but a use of it makes it.</summary>
    private static class SharedInstance
    {
        public static readonly PeerEngineMetrics Value = new();
    }

    private static class DurationBuckets
    {
        // The default histogram buckets start at 5 ms; a loopback round trip here takes tens of
        // microseconds, so the boundaries run from 10 µs to 10 s.
        public static readonly double[] Boundaries =
        [
            0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
        ];
    }
}
