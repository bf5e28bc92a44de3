using System.Diagnostics.Metrics;

namespace PeerEngine.Diagnostics;

/// <summary>
/// The engine's instruments, on the <c>PeerEngine</c> meter (hosts opt in with <c>AddMeter("PeerEngine")</c>).
/// Names follow the OpenTelemetry conventions: lowercase, dotted, UCUM units; no peer ids as
/// attributes (unbounded cardinality).
/// </summary>
internal static class PeerEngineMetrics
{
    public const string MeterName = "PeerEngine";

    private static readonly Meter Meter = new(MeterName);

    public static readonly UpDownCounter<long> ActiveConnections =
        Meter.CreateUpDownCounter<long>("peerengine.active_connections", "{connection}", "Connections open now.");

    public static readonly Counter<long> RejectedConnections =
        Meter.CreateCounter<long>("peerengine.rejected_connections", "{connection}", "Connections refused at the MaxConnections limit.");

    public static readonly Counter<long> AcceptBackoffs =
        Meter.CreateCounter<long>("peerengine.accept.backoffs", "{backoff}", "Accepts deferred because the process ran out of file descriptors.");

    public static readonly Counter<long> ProtocolErrors =
        Meter.CreateCounter<long>("peerengine.protocol_errors", "{error}", "Connection errors sent to peers, by code.");
}
