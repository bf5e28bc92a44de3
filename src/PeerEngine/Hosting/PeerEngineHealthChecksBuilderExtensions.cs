using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PeerEngine.Hosting;

namespace PeerEngine;

/// <summary>Adds the node's health check.</summary>
public static class PeerEngineHealthChecksBuilderExtensions
{
    /// <summary>Reports the node: Unhealthy when stopped, Degraded when its registry entry is stale or a peer is unreachable.</summary>
    public static IHealthChecksBuilder AddPeerEngine(this IHealthChecksBuilder builder, string name = "peerengine", IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name,
            static provider => ActivatorUtilities.CreateInstance<PeerNodeHealthCheck>(provider),
            failureStatus: null,
            tags));
    }
}
