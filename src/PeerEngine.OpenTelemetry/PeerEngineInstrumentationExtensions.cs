using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace PeerEngine;

/// <summary>
/// Adds PeerEngine's spans and metrics to the OpenTelemetry SDK. The engine itself speaks only
/// <see cref="System.Diagnostics"/> (an <c>ActivitySource</c> and a <c>Meter</c>, both named
/// <c>PeerEngine</c>), so that a service that does not use OpenTelemetry carries none of it.
/// </summary>
public static class PeerEngineInstrumentationExtensions
{
    /// <summary>
    /// Records PeerEngine's spans: a client and a server span per request, a producer and a consumer
    /// span per message, one trace across peers that speak protocol version 2.
    /// </summary>
    public static TracerProviderBuilder AddPeerEngineInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(PeerEngineActivities.SourceName);
    }

    /// <summary>
    /// Records PeerEngine's instruments: request durations on both sides, connections, frames, bytes
    /// and errors (the README lists them with their units).
    /// </summary>
    public static MeterProviderBuilder AddPeerEngineInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(PeerEngineMetrics.MeterName);
    }
}
