using System.Runtime.CompilerServices;
using System.Threading.Channels;
using PeerEngine.Buffers;
using PeerEngine.Node;
using PeerEngine.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Node;

/// <summary>
/// The node's failure paths: every failure of a call reaches its caller through the returned task as
/// a typed error, and nothing a discovery backend lists stops the node from following its peers.
/// </summary>
public sealed class NodeFailurePathTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Requests_and_sends_fail_through_their_task_never_synchronously()
    {
        await using var cluster = new NodeCluster();
        PeerNode node = await cluster.StartAsync("alone");

        ValueTask<PooledPayload> request = default;
        ValueTask send = default;
        Assert.Null(Record.Exception(() => request = node.RequestAsync("nobody", "x"u8.ToArray())));
        Assert.Null(Record.Exception(() => send = node.SendAsync("nobody", "x"u8.ToArray())));
        await Assert.ThrowsAsync<PeerNotFoundException>(async () => await request);
        await Assert.ThrowsAsync<PeerNotFoundException>(async () => await send);

        await node.StopAsync();
        Assert.Null(Record.Exception(() => request = node.RequestAsync("nobody", "x"u8.ToArray())));
        ObjectDisposedException stopped = await Assert.ThrowsAsync<ObjectDisposedException>(async () => await request);
        Assert.DoesNotContain("StartAsync", stopped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_to_the_nodes_own_id_says_so()
    {
        await using var cluster = new NodeCluster();
        PeerNode node = await cluster.StartAsync("self");

        PeerNotFoundException e = await Assert.ThrowsAsync<PeerNotFoundException>(async () => await node.RequestAsync("self", "x"u8.ToArray()));
        Assert.Contains("own id", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_busy_port_is_an_error_that_names_the_address()
    {
        await using var cluster = new NodeCluster();
        PeerNode first = await cluster.StartAsync("first");
        int port = first.TcpEndPoint!.Port;

        IOException e = await Assert.ThrowsAsync<IOException>(() => cluster.StartAsync("second", o => o.Port = port));
        Assert.Contains($"127.0.0.1:{port}", e.Message, StringComparison.Ordinal);
        Assert.IsType<System.Net.Sockets.SocketException>(e.InnerException);
    }

    [Fact]
    public async Task A_broadcast_from_a_stopping_node_reports_every_peer_instead_of_throwing()
    {
        await using var cluster = new NodeCluster();
        PeerNode sender = await cluster.StartAsync("sender");
        PeerNode a = await cluster.StartAsync("listener-a");
        PeerNode b = await cluster.StartAsync("listener-b");
        await NodeCluster.SeeEachOtherAsync(sender, a, b);

        await sender.StopAsync();
        BroadcastResult result = await sender.BroadcastAsync("late"u8.ToArray());

        Assert.Equal(0, result.Delivered);
        Assert.Equal(["listener-a", "listener-b"], result.Failures.Select(f => f.Key).Order());
    }

    [Fact]
    public async Task A_peer_published_under_a_host_name_is_dialled_by_resolving_it()
    {
        await using var cluster = new NodeCluster();
        PeerNode target = await cluster.StartAsync("named");
        var discovery = new ScriptedDiscovery();
        await using var node = new PeerNode(new PeerNodeOptions { NodeId = "dialler", Listen = false }, discovery);
        await node.StartAsync();

        discovery.Set(PeerAt("named", "localhost", target.TcpEndPoint!.Port));
        using PooledPayload answer = await node.RequestAsync("named", "hi"u8.ToArray());
        Assert.Equal("named:hi"u8.ToArray(), answer.ToArray());
    }

    [Fact]
    public async Task Bad_and_duplicate_records_are_skipped_and_the_node_goes_on_following_its_peers()
    {
        await using var cluster = new NodeCluster();
        PeerNode target = await cluster.StartAsync("good");
        int port = target.TcpEndPoint!.Port;
        var discovery = new ScriptedDiscovery();
        var node = new PeerNode(new PeerNodeOptions { NodeId = "follower", Listen = false }, discovery);
        await node.StartAsync();

        // A host that is no address and no name, a port out of range, and one id listed twice.
        discovery.Set(
            PeerAt("bad-host", "not a host!", port),
            PeerAt("bad-port", "127.0.0.1", 70_000),
            PeerAt("twice", "127.0.0.1", port, lastSeenAgo: TimeSpan.FromSeconds(5)),
            PeerAt("twice", "127.0.0.1", port));
        await Eventually.WaitUntilAsync(() => node.Peers.Any(p => p.Id == "twice"), Patience, "the duplicate id is followed once");
        Assert.Equal(["twice"], node.Peers.Select(p => p.Id));
        await Assert.ThrowsAsync<PeerNotFoundException>(async () => await node.RequestAsync("bad-host", "x"u8.ToArray()));

        // The watch is still alive: a later change is followed.
        discovery.Set(PeerAt("good", "127.0.0.1", port));
        await Eventually.WaitUntilAsync(() => node.Peers.Any(p => p.Id == "good"), Patience, "a later record is followed");
        using (PooledPayload answer = await node.RequestAsync("good", "x"u8.ToArray()))
        {
            Assert.Equal("good:x"u8.ToArray(), answer.ToArray());
        }

        await node.StopAsync();
        await node.DisposeAsync();
    }

    private static PeerRecord PeerAt(string id, string host, int port, TimeSpan lastSeenAgo = default) =>
        new(id, host, port, PeerTransport.Tcp, UnixPath: null, ProcessId: 1, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow - lastSeenAgo);

    /// <summary>A discovery whose peer set the test sets, as any backend might list it.</summary>
    private sealed class ScriptedDiscovery : IPeerDiscovery
    {
        private readonly Channel<PeerSetChange> _changes = Channel.CreateUnbounded<PeerSetChange>();
        private volatile PeerRecord[] _peers = [];

        public void Set(params PeerRecord[] peers)
        {
            PeerRecord[] before = _peers;
            _peers = peers;
            _changes.Writer.TryWrite(new PeerSetChange(peers, [.. peers.Except(before)], [.. before.Except(peers)]));
        }

        public ValueTask<IPeerRegistration> PublishAsync(PeerAnnouncement peer, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("the nodes of these tests do not listen");

        public int Discover(Span<PeerRecord> destination)
        {
            PeerRecord[] peers = _peers;
            int count = Math.Min(peers.Length, destination.Length);
            peers.AsSpan(0, count).CopyTo(destination);
            return count;
        }

        public IReadOnlyList<PeerRecord> Discover() => _peers;

        // As the contract says: the current set at once, then every change.
        public async IAsyncEnumerable<PeerSetChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            PeerRecord[] current = _peers;
            yield return new PeerSetChange(current, current, []);
            await foreach (PeerSetChange change in _changes.Reader.ReadAllAsync(cancellationToken))
            {
                yield return change;
            }
        }
    }
}
