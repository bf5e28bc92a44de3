using System.Text;
using PeerEngine.Buffers;
using PeerEngine.ConnectionPool;
using PeerEngine.Connections;
using PeerEngine.Node;
using PeerEngine.Tests.Registry;

using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Node;

/// <summary>Whole nodes on loopback, discovering each other through one registry file.</summary>
public sealed class PeerNodeTests
{
    private static string Text(PooledPayload payload) => Encoding.UTF8.GetString(payload.Span);

    [Fact]
    public async Task Three_nodes_discover_each_other_and_exchange_requests_both_ways()
    {
        await using var cluster = new NodeCluster();
        PeerNode a = await cluster.StartAsync("node-a");
        PeerNode b = await cluster.StartAsync("node-b");
        PeerNode c = await cluster.StartAsync("node-c");
        await NodeCluster.SeeEachOtherAsync(a, b, c);

        foreach (PeerNode from in new[] { a, b, c })
        {
            foreach (PeerNode to in new[] { a, b, c }.Where(n => n != from))
            {
                using PooledPayload answer = await from.RequestAsync(to.Id, Encoding.UTF8.GetBytes($"from {from.Id}"));
                Assert.Equal($"{to.Id}:from {from.Id}", Text(answer));
            }
        }

        Assert.Equal(2, a.Peers.Count);
        Assert.DoesNotContain(a.Peers, p => p.Id == a.Id);
    }

    [Fact]
    public async Task Nodes_with_inline_handlers_answer_each_other()
    {
        await using var cluster = new NodeCluster();
        PeerNode a = await cluster.StartAsync("inline-a", o => o.Connections.InlineHandlers = true);
        PeerNode b = await cluster.StartAsync("inline-b", o => o.Connections.InlineHandlers = true);
        await NodeCluster.SeeEachOtherAsync(a, b);

        await Task.WhenAll(Enumerable.Range(0, 500).Select(async i =>
        {
            using PooledPayload answer = await a.RequestAsync(b.Id, Encoding.UTF8.GetBytes($"#{i}"));
            Assert.Equal($"inline-b:#{i}", Text(answer));
        }));
    }

    [Fact]
    public async Task Ten_thousand_concurrent_requests_across_three_nodes_get_their_own_answers()
    {
        await using var cluster = new NodeCluster();
        PeerNode[] nodes = [await cluster.StartAsync("n0"), await cluster.StartAsync("n1"), await cluster.StartAsync("n2")];
        await NodeCluster.SeeEachOtherAsync(nodes);

        await Task.WhenAll(Enumerable.Range(0, 10_000).Select(async i =>
        {
            PeerNode from = nodes[i % 3];
            PeerNode to = nodes[(i + 1 + (i / 3 % 2)) % 3];
            using PooledPayload answer = await from.RequestAsync(to.Id, Encoding.UTF8.GetBytes($"#{i}"));
            Assert.Equal($"{to.Id}:#{i}", Text(answer));
        }));

        Assert.All(nodes, n => Assert.InRange(n.OutboundConnections, 2, 2 * 2));
    }

    [Fact]
    public async Task A_message_and_a_broadcast_reach_their_handlers()
    {
        await using var cluster = new NodeCluster();
        var received = new System.Collections.Concurrent.ConcurrentBag<string>();
        var options = (Action<PeerNodeOptions>?)null;
        PeerNode sender = await cluster.StartAsync("sender", options);
        string[] receiverIds = ["r1", "r2"];
        PeerNode[] receivers = [.. await Task.WhenAll(receiverIds.Select(async id =>
        {
            var node = new PeerNode(new PeerNodeOptions { NodeId = id, Registry = cluster.RegistryOptions() })
            {
                MessageHandler = (message, _) =>
                {
                    received.Add($"{message.PeerId}->{id}:{Encoding.UTF8.GetString(message.Payload.Span)}");
                    return ValueTask.CompletedTask;
                },
            };
            await node.StartAsync();
            return node;
        }))];
        try
        {
            await NodeCluster.SeeEachOtherAsync([sender, .. receivers]);

            await sender.SendAsync("r1", "direct"u8.ToArray());
            BroadcastResult result = await sender.BroadcastAsync("to all"u8.ToArray());

            Assert.Equal(2, result.Delivered);
            Assert.Empty(result.Failures);
            await Eventually.WaitUntilAsync(() => received.Count == 3, TimeSpan.FromSeconds(10), "three messages arrived");
            Assert.Equal(["sender->r1:direct", "sender->r1:to all", "sender->r2:to all"], received.Order(StringComparer.Ordinal));
        }
        finally
        {
            foreach (PeerNode receiver in receivers)
            {
                await receiver.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task An_unknown_peer_is_a_clear_error()
    {
        await using var cluster = new NodeCluster();
        PeerNode a = await cluster.StartAsync("lonely");

        var error = await Assert.ThrowsAsync<PeerNotFoundException>(async () => await a.RequestAsync("nobody", "x"u8.ToArray()));

        Assert.Equal("nobody", error.PeerId);
    }

    [Fact]
    public async Task A_graceful_stop_lets_requests_in_flight_finish_and_leaves_discovery()
    {
        await using var cluster = new NodeCluster();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        PeerNode client = await cluster.StartAsync("client");
        PeerNode server = await cluster.StartAsync("server", handler: async (request, ct) =>
        {
            started.TrySetResult();
            await release.Task;
            await NodeCluster.Answering("server")(request, ct);
        });
        await NodeCluster.SeeEachOtherAsync(client, server);
        var left = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.PeerLeft += (_, peer) => left.TrySetResult(peer.Id);

        Task<PooledPayload> inFlight = client.RequestAsync("server", "slow"u8.ToArray()).AsTask();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Task stopping = server.StopAsync();
        release.SetResult();

        using (PooledPayload answer = await inFlight)
        {
            Assert.Equal("server:slow", Text(answer));
        }

        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("server", await left.Task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.DoesNotContain(client.Peers, p => p.Id == "server");
    }

    [Fact]
    public async Task A_node_restarted_on_a_new_port_is_reached_again_without_any_reset()
    {
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("client");
        PeerNode first = await cluster.StartAsync("phoenix");
        await NodeCluster.SeeEachOtherAsync(client, first);
        using (PooledPayload answer = await client.RequestAsync("phoenix", "one"u8.ToArray()))
        {
            Assert.Equal("phoenix:one", Text(answer));
        }

        int oldPort = first.TcpEndPoint!.Port;
        await first.StopAsync();
        PeerNode second = await cluster.StartAsync("phoenix");
        Assert.NotEqual(oldPort, second.TcpEndPoint!.Port);

        await Eventually.WaitUntilAsync(() => client.Peers.Any(p => p.Id == "phoenix" && p.Port == second.TcpEndPoint.Port), TimeSpan.FromSeconds(10), "the client sees the new address");
        using PooledPayload again = await client.RequestAsync("phoenix", "two"u8.ToArray());
        Assert.Equal("phoenix:two", Text(again));
    }

    [Fact]
    public async Task Same_host_peers_that_published_a_unix_socket_are_reached_over_it()
    {
        await using var cluster = new NodeCluster();
        string socket = Support.TempPaths.UnixSocket();
        PeerNode client = await cluster.StartAsync("client");
        PeerNode server = await cluster.StartAsync("server", o => o.UnixSocketPath = socket);
        await NodeCluster.SeeEachOtherAsync(client, server);

        using PooledPayload answer = await client.RequestAsync("server", "via unix"u8.ToArray());

        Assert.Equal("server:via unix", Text(answer));
        PeerListener unixListener = server.Listeners.Single(l => l.EndPoint is System.Net.Sockets.UnixDomainSocketEndPoint);
        Assert.Equal(1, unixListener.ConnectionCount);
        Assert.Equal(0, server.Listeners.Single(l => l != unixListener).ConnectionCount);
        await server.StopAsync();
        Assert.False(File.Exists(socket));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_unix_socket_only_its_owner_may_connect_to()
    {
        await using var cluster = new NodeCluster();
        string socket = Support.TempPaths.UnixSocket();
        await cluster.StartAsync("private", o => o.UnixSocketPath = socket);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
    }

    [Fact]
    public async Task The_pool_grows_under_load_up_to_its_limit_and_no_further()
    {
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("client", o =>
        {
            o.Pool.MaxConnectionsPerPeer = 3;
            o.Pool.RequestsPerConnection = 10;
        });
        PeerNode server = await cluster.StartAsync("server", handler: async (request, ct) =>
        {
            await Task.Delay(2, ct);
            await NodeCluster.Answering("server")(request, ct);
        });
        await NodeCluster.SeeEachOtherAsync(client, server);

        // Waves of concurrent requests: each finds the open connections busy and opens another,
        // until the limit.
        for (int wave = 0; wave < 20 && client.OutboundConnections < 3; wave++)
        {
            await Task.WhenAll(Enumerable.Range(0, 100).Select(async i =>
            {
                using PooledPayload answer = await client.RequestAsync("server", BitConverter.GetBytes(i));
            }));
        }

        Assert.Equal(3, client.OutboundConnections);
        await Task.WhenAll(Enumerable.Range(0, 500).Select(async i =>
        {
            using PooledPayload answer = await client.RequestAsync("server", BitConverter.GetBytes(i));
        }));
        Assert.Equal(3, client.OutboundConnections);
        Assert.Equal(3, server.InboundConnections);
    }

    [Fact]
    public async Task Idle_connections_are_closed_and_reopened_on_demand()
    {
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("client", o =>
        {
            o.Pool.IdleTimeout = TimeSpan.FromMilliseconds(300);
            o.Pool.HealthCheckInterval = TimeSpan.FromMilliseconds(100);
        });
        PeerNode server = await cluster.StartAsync("server");
        await NodeCluster.SeeEachOtherAsync(client, server);
        using (PooledPayload first = await client.RequestAsync("server", "first"u8.ToArray()))
        {
            Assert.Equal(1, client.OutboundConnections);
        }

        await Eventually.WaitUntilAsync(() => client.OutboundConnections == 0 && server.InboundConnections == 0, TimeSpan.FromSeconds(10), "the idle connection was closed on both sides");

        using PooledPayload after = await client.RequestAsync("server", "again"u8.ToArray());
        Assert.Equal("server:again", Text(after));
    }

    [Fact]
    public async Task Handlers_cannot_change_after_start_and_options_are_validated()
    {
        await using var cluster = new NodeCluster();
        PeerNode node = await cluster.StartAsync("fixed");

        Assert.Throws<InvalidOperationException>(() => node.RequestHandler = NodeCluster.Answering("other"));
        Assert.Throws<ArgumentException>(() => new PeerNode(new PeerNodeOptions { NodeId = "bad id" }));
        Assert.Throws<ArgumentException>(() => new PeerNode(new PeerNodeOptions { Host = "localhost" }));
        Assert.Throws<ArgumentException>(() => new PeerNode(new PeerNodeOptions { Pool = { MaxConnectionsPerPeer = 0 } }));
    }
}
