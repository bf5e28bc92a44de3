using System.Diagnostics;
using System.Globalization;
using PeerEngine.Buffers;
using PeerEngine.ConnectionPool;
using PeerEngine.Connections;
using PeerEngine.Node;
using PeerEngine.Tests.Registry;

using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Node;

/// <summary>A node in a child process, killed with SIGKILL while requests are in flight to it.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class PeerNodeCrashTests
{
    [Fact]
    public async Task A_killed_node_fails_requests_in_flight_fast_the_pool_backs_off_and_discovery_drops_it()
    {
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("client");
        using ChildProcess child = ChildProcess.Start("node", cluster.RegistryPath, "doomed", ((int)NodeCluster.Ttl.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "200");
        await child.ReadyAsync();
        await Eventually.WaitUntilAsync(() => client.Peers.Any(p => p.Id == "doomed"), TimeSpan.FromSeconds(10), "the client sees the child node");
        using (PooledPayload answer = await client.RequestAsync("doomed", "alive?"u8.ToArray()))
        {
            Assert.Equal("alive?"u8.ToArray(), answer.ToArray());
        }

        Task<PooledPayload>[] inFlight = [.. Enumerable.Range(0, 5).Select(_ => client.RequestAsync("doomed", new byte[] { 0xFF }).AsTask())];
        Assert.Equal(5, client.RequestsInFlight);
        var killedAt = Stopwatch.StartNew();
        child.Kill();

        foreach (Task<PooledPayload> request in inFlight)
        {
            await Assert.ThrowsAsync<ConnectionLostException>(() => request);
        }

        Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(5), $"requests failed only after {killedAt.Elapsed}");

        TimeSpan dropped = await Eventually.WaitUntilAsync(() => client.Peers.All(p => p.Id != "doomed"), NodeCluster.Ttl + TimeSpan.FromSeconds(5), "discovery dropped the dead node");
        Assert.True(dropped <= NodeCluster.Ttl + TimeSpan.FromSeconds(1), $"dropped after {dropped}");
        await Assert.ThrowsAsync<PeerNotFoundException>(async () => await client.RequestAsync("doomed", "x"u8.ToArray()));
    }

    [Fact]
    public async Task A_peer_that_cannot_be_reached_is_backed_off_then_retried()
    {
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("client", o =>
        {
            o.Pool.ReconnectBackoff = TimeSpan.FromMilliseconds(300);
            o.Pool.MaxReconnectBackoff = TimeSpan.FromMilliseconds(300);
        });

        // A registry entry whose port nobody listens on: the ghost of a crashed node.
        int closedPort = Ports.ClosedLoopbackPort();

        using var registry = new PeerEngine.PeerRegistry(cluster.RegistryOptions());
        using var ghost = registry.Publish(new PeerEngine.PeerAnnouncement { Id = "ghost", Host = "127.0.0.1", Port = closedPort });

        var first = await Assert.ThrowsAsync<PeerUnavailableException>(async () => await client.RequestAsync("ghost", "x"u8.ToArray()));
        var second = await Assert.ThrowsAsync<PeerUnavailableException>(async () => await client.RequestAsync("ghost", "x"u8.ToArray()));

        Assert.Contains("failed", first.Message, StringComparison.Ordinal);
        Assert.Contains("next attempt in", second.Message, StringComparison.Ordinal);
        Assert.Equal(["ghost"], client.CheckHealth().UnreachablePeers);

        // After the back-off the pool tries again, and reaches a node that is now there.
        await using var revived = new PeerNode(new PeerNodeOptions { NodeId = "ghost", Port = closedPort, Registry = cluster.RegistryOptions() }) { RequestHandler = NodeCluster.Answering("ghost") };
        ghost.Dispose();
        await revived.StartAsync();
        await Eventually.WaitUntilAsync(
            () => client.RequestAsync("ghost", "back"u8.ToArray()).AsTask().ContinueWith(t => t.IsCompletedSuccessfully, TaskScheduler.Default).Result,
            TimeSpan.FromSeconds(10),
            "the revived node answers");
    }
}
