using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;

using Microsoft.Extensions.DependencyInjection;

using PeerEngine.Buffers;
using PeerEngine.Discovery.Redis.Internal;
using PeerEngine.Discovery.Redis.Tests.Support;

namespace PeerEngine.Discovery.Redis.Tests;

/// <summary>The Redis discovery against a real redis-server of each test's own.</summary>
public sealed class RedisDiscoveryTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static RedisPeerDiscovery Discovery(RedisServer redis, string cluster = "test", RecordingLoggerFactory? log = null, Action<RedisDiscoveryOptions>? configure = null)
    {
        RedisDiscoveryOptions options = RedisDiscoveryOptions.FromUri(redis.Uri(cluster));
        configure?.Invoke(options);
        return new RedisPeerDiscovery(options, log);
    }

    private static PeerAnnouncement Peer(string id, int port = 5000) => new() { Id = id, Host = "127.0.0.1", Port = port };

    private static bool Lists(RedisPeerDiscovery discovery, string id) => discovery.Discover().Any(p => p.Id == id);

    /// <summary>Follows a watch the way a node does, recording every peer it ever saw removed.</summary>
    private sealed class Watcher : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public Watcher(IPeerDiscovery discovery)
        {
            _loop = Task.Run(async () =>
            {
                await foreach (PeerSetChange change in discovery.WatchAsync(_stop.Token))
                {
                    Peers = change.Peers;
                    foreach (PeerRecord gone in change.Removed)
                    {
                        Removed.Enqueue(gone.Id);
                    }
                }
            });
        }

        public IReadOnlyList<PeerRecord> Peers { get; private set; } = [];

        public ConcurrentQueue<string> Removed { get; } = new();

        public bool Sees(string id) => Peers.Any(p => p.Id == id);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }
    }

    [Fact]
    public async Task A_refresh_right_after_the_discovery_is_made_waits_for_its_subscription_instead_of_failing()
    {
        using var redis = RedisServer.Start();

        // The client connects its subscription a moment after its commands: a refresh made in that
        // moment found no connection to subscribe on and failed, though Redis was up.
        for (int i = 0; i < 30; i++)
        {
            await using RedisPeerDiscovery fresh = Discovery(redis);
            Assert.Empty(await fresh.RefreshAsync());
        }
    }

    [Fact]
    public async Task A_join_and_a_graceful_leave_reach_a_watcher_within_a_second()
    {
        using var redis = RedisServer.Start();

        // A refresh far longer than the bound: only the change notifications can make it.
        await using RedisPeerDiscovery a = Discovery(redis, configure: o => o.RefreshInterval = TimeSpan.FromSeconds(30));
        await using RedisPeerDiscovery b = Discovery(redis, configure: o => o.RefreshInterval = TimeSpan.FromSeconds(30));
        await b.RefreshAsync();
        await using var watcher = new Watcher(b);
        await Eventually.TrueAsync(() => watcher.Peers is not null, "the watch started", Second);

        IPeerRegistration registration = await a.PublishAsync(Peer("alpha", 5001));
        TimeSpan joined = await Eventually.TrueAsync(() => watcher.Sees("alpha"), "the watcher sees alpha", Second);
        PeerRecord seen = watcher.Peers.Single(p => p.Id == "alpha");
        Assert.Equal(("127.0.0.1", 5001, Environment.ProcessId), (seen.Host, seen.Port, seen.ProcessId));
        Assert.True((DateTimeOffset.UtcNow - seen.LastSeen).Duration() < TimeSpan.FromSeconds(5), $"lastSeen {seen.LastSeen}");

        await registration.DisposeAsync();
        TimeSpan left = await Eventually.TrueAsync(() => !watcher.Sees("alpha"), "the watcher no longer sees alpha", Second);
        Assert.Contains("0", redis.Command("HLEN", "peerengine:{test}:peers"), StringComparison.Ordinal);
        Assert.True(joined < Second && left < Second, $"join {joined.TotalMilliseconds} ms, leave {left.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task A_peer_that_stops_beating_leaves_every_view_after_its_ttl()
    {
        using var redis = RedisServer.Start();
        await using RedisPeerDiscovery b = Discovery(redis, configure: o => o.RefreshInterval = TimeSpan.FromMilliseconds(200));

        // A peer as a killed process leaves it: written once, never refreshed, never removed.
        await using (var db = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(redis.Address))
        {
            string record = RedisPeerCodec.EncodeOpen(Peer("ghost"), 4242, DateTimeOffset.UtcNow, "feedface");
            await db.GetDatabase().ScriptEvaluateAsync(RedisScripts.Upsert, new RedisKeys("peerengine", "test").All, ["ghost", record, "feedface", 1000, "peerengine:{test}:changes", "e1"]);
        }

        await Eventually.TrueAsync(() => Lists(b, "ghost"), "the ghost is listed", TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();
        await Eventually.TrueAsync(() => !Lists(b, "ghost"), "the ghost expired", TimeSpan.FromSeconds(3));
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(0.3), $"gone after {clock.Elapsed.TotalMilliseconds} ms: before its TTL");
        Assert.StartsWith(":0", redis.Command("HLEN", "peerengine:{test}:peers"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_clusters_on_one_Redis_never_see_each_other()
    {
        using var redis = RedisServer.Start();
        await using RedisPeerDiscovery red = Discovery(redis, "red");
        await using RedisPeerDiscovery blue = Discovery(redis, "blue");
        await using IPeerRegistration r = await red.PublishAsync(Peer("same-id", 6001));
        await using IPeerRegistration b = await blue.PublishAsync(Peer("same-id", 6002));
        await using IPeerRegistration r2 = await red.PublishAsync(Peer("red-only", 6003));

        IReadOnlyList<PeerRecord> redPeers = await red.RefreshAsync();
        IReadOnlyList<PeerRecord> bluePeers = await blue.RefreshAsync();
        Assert.Equal(["red-only:6003", "same-id:6001"], redPeers.Select(p => $"{p.Id}:{p.Port}").Order());
        Assert.Equal(["same-id:6002"], bluePeers.Select(p => $"{p.Id}:{p.Port}"));
    }

    [Fact]
    public async Task A_second_live_peer_with_the_same_id_is_refused()
    {
        using var redis = RedisServer.Start();
        await using RedisPeerDiscovery a = Discovery(redis);
        await using RedisPeerDiscovery b = Discovery(redis);
        await using IPeerRegistration first = await a.PublishAsync(Peer("twin", 7001));
        PeerIdConflictException refused = await Assert.ThrowsAsync<PeerIdConflictException>(async () => await b.PublishAsync(Peer("twin", 7002)));
        Assert.Contains("'twin'", refused.Message, StringComparison.Ordinal);
        Assert.Equal(7001, (await b.RefreshAsync()).Single().Port);
    }

    [Fact]
    public async Task While_Redis_is_down_the_known_peers_are_kept()
    {
        using var redis = RedisServer.Start();
        var log = new RecordingLoggerFactory();
        await using RedisPeerDiscovery a = Discovery(redis, configure: o => { o.Ttl = TimeSpan.FromSeconds(1); o.HeartbeatInterval = TimeSpan.FromSeconds(0.3); o.RefreshInterval = TimeSpan.FromMilliseconds(200); });
        await using RedisPeerDiscovery b = Discovery(redis, log: log, configure: o => { o.Ttl = TimeSpan.FromSeconds(1); o.HeartbeatInterval = TimeSpan.FromSeconds(0.3); o.RefreshInterval = TimeSpan.FromMilliseconds(200); });
        await using IPeerRegistration registration = await a.PublishAsync(Peer("steady"));
        await using var watcher = new Watcher(b);
        await Eventually.TrueAsync(() => watcher.Sees("steady"), "b sees the peer", TimeSpan.FromSeconds(2));

        redis.Stop();

        // Several TTLs and refreshes without Redis: nobody is declared dead for that alone.
        await Eventually.AlwaysAsync(() => watcher.Sees("steady") && Lists(b, "steady"), "the peer is still known", TimeSpan.FromSeconds(3));
        Assert.Empty(watcher.Removed);
        Assert.True(log.Contains($"Redis at {redis.Address} cannot be reached"), string.Join('\n', log.Lines));
        RedisDiscoveryUnavailableException down = await Assert.ThrowsAsync<RedisDiscoveryUnavailableException>(() => b.RefreshAsync());
        Assert.Contains(redis.Address, down.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Redis_restarted_empty_lists_every_live_peer_again_within_seconds_without_dropping_any()
    {
        using var redis = RedisServer.Start();
        await using RedisPeerDiscovery a = Discovery(redis);
        await using RedisPeerDiscovery b = Discovery(redis);
        await using IPeerRegistration ra = await a.PublishAsync(Peer("one", 5101));
        await using IPeerRegistration rb = await b.PublishAsync(Peer("two", 5102));
        await using var watcher = new Watcher(b);
        await Eventually.TrueAsync(() => watcher.Sees("one") && watcher.Sees("two"), "b sees both", TimeSpan.FromSeconds(2));

        redis.Stop();
        redis.Restart();
        Assert.StartsWith(":0", redis.Command("HLEN", "peerengine:{test}:peers"), StringComparison.Ordinal);

        TimeSpan relisted = await Eventually.TrueAsync(() => redis.Command("HLEN", "peerengine:{test}:peers").StartsWith(":2", StringComparison.Ordinal), "both are in Redis again", TimeSpan.FromSeconds(10));
        Assert.True(relisted < TimeSpan.FromSeconds(6), $"relisted after {relisted.TotalSeconds:0.0} s");
        await using RedisPeerDiscovery fresh = Discovery(redis);
        Assert.Equal(["one", "two"], (await fresh.RefreshAsync()).Select(p => p.Id).Order());

        // Through the restart, the watcher never lost either peer.
        await Eventually.AlwaysAsync(() => watcher.Sees("one") && watcher.Sees("two"), "both still seen", TimeSpan.FromSeconds(1));
        Assert.Empty(watcher.Removed);
    }

    [Fact]
    public async Task Garbage_written_into_the_cluster_by_another_process_is_skipped_with_a_log_line()
    {
        using var redis = RedisServer.Start();
        var log = new RecordingLoggerFactory();
        await using RedisPeerDiscovery a = Discovery(redis);
        await using RedisPeerDiscovery b = Discovery(redis, log: log, configure: o => o.RefreshInterval = TimeSpan.FromMilliseconds(200));
        await using IPeerRegistration good = await a.PublishAsync(Peer("good"));
        await Eventually.TrueAsync(() => Lists(b, "good"), "b follows the cluster", TimeSpan.FromSeconds(2));

        const string Key = "peerengine:{test}:peers";
        redis.Command("HSET", Key, "junk", "\u0001\u00ffnot json at all");
        redis.Command("HSET", Key, "half", "{\"v\":1,\"id\":\"half\"}");
        redis.Command("HSET", Key, "liar", "{\"v\":1,\"id\":\"other\",\"host\":\"127.0.0.1\",\"port\":1,\"transport\":1,\"pid\":1,\"start\":1,\"reg\":\"x\",\"seen\":1,\"exp\":99999999999999}");
        redis.Command("HSET", Key, "bad port", "{\"v\":1,\"id\":\"bad port\",\"host\":\"127.0.0.1\",\"port\":70000,\"transport\":1,\"pid\":1,\"start\":1,\"reg\":\"x\",\"seen\":1,\"exp\":99999999999999}");
        redis.Command("HSET", Key, "array", "[1,2,3]");
        redis.Command("SET", "peerengine:{test}:version", "not a number");
        redis.Command("PUBLISH", "peerengine:{test}:changes", "junk");

        await Eventually.TrueAsync(() => log.Contains("Record 'junk'") && log.Contains("Record 'half'") && log.Contains("Record 'liar'") && log.Contains("Record 'array'"), "each bad record is logged", TimeSpan.FromSeconds(5), () => string.Join('\n', log.Lines));
        IReadOnlyList<PeerRecord> peers = await b.RefreshAsync();
        Assert.Equal(["good"], peers.Select(p => p.Id));

        // The writers survive it too: a new peer is published (the bad version count restarts) and seen.
        await using IPeerRegistration late = await a.PublishAsync(Peer("late", 5002));
        await Eventually.TrueAsync(() => Lists(b, "late"), "b sees the late peer", TimeSpan.FromSeconds(2));

        // Each bad record is reported once, not on every read.
        await Task.Delay(600);
        Assert.Single(log.Lines, line => line.Contains("Record 'junk'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Wildcard_and_loopback_addresses_are_refused_into_a_store_shared_with_other_machines()
    {
        // A store that is not on loopback: the checks come before any connection is made.
        await using var shared = new RedisPeerDiscovery(new RedisDiscoveryOptions { Configuration = "redis.invalid:6379" });
        ArgumentException wildcard = await Assert.ThrowsAsync<ArgumentException>(async () => await shared.PublishAsync(new PeerAnnouncement { Id = "n", Host = "0.0.0.0", Port = 1 }));
        Assert.Contains("wildcard", wildcard.Message, StringComparison.Ordinal);
        ArgumentException loopback = await Assert.ThrowsAsync<ArgumentException>(async () => await shared.PublishAsync(new PeerAnnouncement { Id = "n", Host = "127.0.0.1", Port = 1 }));
        Assert.Contains("loopback", loopback.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(async () => await shared.PublishAsync(new PeerAnnouncement { Id = "n", Host = "::1", Port = 1 }));
        await Assert.ThrowsAsync<ArgumentException>(async () => await shared.PublishAsync(new PeerAnnouncement { Id = "n", Host = "[::]", Port = 1 }));
    }

    [Fact]
    public void Uris_name_the_server_and_the_cluster()
    {
        RedisDiscoveryOptions full = RedisDiscoveryOptions.FromUri("redis://10.1.2.3:7000/orders");
        Assert.Equal(("10.1.2.3:7000", "orders"), (full.Configuration, full.Cluster));
        Assert.Equal("default", RedisDiscoveryOptions.FromUri("redis://cache.internal:6379").Cluster);
        Assert.Equal("default", RedisDiscoveryOptions.FromUri("redis://cache.internal:6379/").Cluster);
        Assert.Equal("cache.internal:6379", RedisDiscoveryOptions.FromUri("redis://cache.internal/x").Configuration);
        Assert.Equal("[::1]:6380", RedisDiscoveryOptions.FromUri("redis://[::1]:6380/x").Configuration);
        Assert.Throws<FormatException>(() => RedisDiscoveryOptions.FromUri("http://host:1/x"));
        Assert.Throws<FormatException>(() => RedisDiscoveryOptions.FromUri("redis://host:1/bad cluster"));
        Assert.Throws<FormatException>(() => RedisDiscoveryOptions.FromUri("redis://host:1/a/b"));
        Assert.Throws<FormatException>(() => RedisDiscoveryOptions.FromUri("redis://"));
    }

    [Fact]
    public async Task Nodes_wired_with_UseRedisDiscovery_find_each_other_and_talk()
    {
        using var redis = RedisServer.Start();
        ServiceProvider Services(string id)
        {
            var services = new ServiceCollection();
            services.AddPeerEngine(o => o.NodeId = id)
                .HandleRequests(static (request, _) =>
                {
                    request.Response.Write(request.Payload.Span);
                    return ValueTask.CompletedTask;
                })
                .UseRedisDiscovery(redis.Uri("di"));
            return services.BuildServiceProvider();
        }

        await using ServiceProvider first = Services("di-one");
        await using ServiceProvider second = Services("di-two");
        Assert.IsType<RedisPeerDiscovery>(first.GetRequiredService<IPeerDiscovery>());
        PeerNode one = first.GetRequiredService<PeerNode>();
        PeerNode two = second.GetRequiredService<PeerNode>();
        await one.StartAsync();
        await two.StartAsync();
        try
        {
            await Eventually.TrueAsync(() => two.Peers.Any(p => p.Id == "di-one") && one.Peers.Any(p => p.Id == "di-two"), "each node sees the other", TimeSpan.FromSeconds(2));
            using PooledPayload answer = await two.RequestAsync("di-one", "ping"u8.ToArray(), TimeSpan.FromSeconds(5));
            Assert.Equal("ping", System.Text.Encoding.UTF8.GetString(answer.Span));
        }
        finally
        {
            await two.StopAsync();
            await one.StopAsync();
        }

        Assert.StartsWith(":0", redis.Command("HLEN", "peerengine:{di}:peers"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_that_starts_before_Redis_publishes_once_Redis_is_up()
    {
        using var redis = RedisServer.Start();
        redis.Stop();
        await using var discovery = new RedisPeerDiscovery(RedisDiscoveryOptions.FromUri(redis.Uri("late")));
        await using var node = new PeerNode(new PeerNodeOptions { NodeId = "early" }, discovery);
        Task start = node.StartAsync();
        await Task.Delay(700);
        Assert.False(start.IsCompleted, "the node started without being published");
        redis.Restart();
        await start.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("early", redis.Command("HKEYS", "peerengine:{late}:peers"), StringComparison.Ordinal);
    }
}
