using System.Buffers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Hosting;
using PeerEngine.Node;
using PeerEngine.Tests.Registry;

using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Node;

public sealed class HostingTests
{
    private sealed class Shouting : IPeerRequestHandler
    {
        public ValueTask HandleAsync(PeerRequest request, CancellationToken cancellationToken)
        {
            request.Response.Write(Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(request.Payload.Span).ToUpperInvariant()));
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task The_host_starts_the_node_publishes_it_and_stops_it()
    {
        await using var cluster = new NodeCluster();
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Services.AddPeerEngine(o =>
        {
            o.NodeId = "hosted";
            o.Registry = cluster.RegistryOptions();
        }).HandleRequests<Shouting>();
        builder.Services.AddHealthChecks().AddPeerEngine();
        using IHost host = builder.Build();
        PeerNode client = await cluster.StartAsync("client");

        await host.StartAsync();
        PeerNode node = host.Services.GetRequiredService<PeerNode>();
        Assert.True(node.IsRunning);
        await NodeCluster.SeeEachOtherAsync(client, node);
        using (PooledPayload answer = await client.RequestAsync("hosted", "quiet"u8.ToArray()))
        {
            Assert.Equal("QUIET", Encoding.UTF8.GetString(answer.Span));
        }

        HealthReport health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, health.Status);

        await host.StopAsync();
        Assert.False(node.IsRunning);
        await Eventually.WaitUntilAsync(() => client.Peers.All(p => p.Id != "hosted"), TimeSpan.FromSeconds(10), "the hosted node left the registry");
        health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, health.Status);
    }

    [Fact]
    public async Task Invalid_options_fail_the_host_start_with_the_option_named()
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Services.AddPeerEngine(o => o.Connections.MaxRequestsInFlight = 3);
        using IHost host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("MaxRequestsInFlight", error.Message, StringComparison.Ordinal);
    }
}
