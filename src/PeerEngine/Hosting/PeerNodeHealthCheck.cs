using Microsoft.Extensions.Diagnostics.HealthChecks;
using PeerEngine.Node;

namespace PeerEngine.Hosting;

/// <summary>
/// Healthy while the node runs and is listed in its registry; Degraded when its own registry entry is
/// missing (the registry is stale: heartbeats are not landing) or a peer's pool cannot connect;
/// Unhealthy when the node is not running.
/// </summary>
internal sealed class PeerNodeHealthCheck(PeerNode node) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        PeerNodeHealth health = node.CheckHealth();
        var data = new Dictionary<string, object>
        {
            ["peers"] = health.Peers,
            ["inboundConnections"] = node.InboundConnections,
            ["outboundConnections"] = node.OutboundConnections,
            ["requestsInFlight"] = node.RequestsInFlight,
        };

        HealthCheckResult result = health switch
        {
            { Running: false } => HealthCheckResult.Unhealthy("The node is not running.", data: data),
            { Published: false } => HealthCheckResult.Degraded("The node is missing from its registry: its heartbeats are not landing.", data: data),
            { UnreachablePeers.Count: > 0 } => HealthCheckResult.Degraded($"Unreachable peers: {string.Join(", ", health.UnreachablePeers)}.", data: data),
            _ => HealthCheckResult.Healthy($"Node {node.Id} is serving {health.Peers} peers.", data),
        };
        return Task.FromResult(result);
    }
}
