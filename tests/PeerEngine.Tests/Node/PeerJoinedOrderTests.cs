using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.Versioning;

using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Node;

/// <summary>
/// Hearing of every peer in the README's order: a handler subscribed before <c>StartAsync</c> has been
/// told of the peers already there when it returns, and <c>Peers</c> holds them from then on, for a
/// handler subscribed later. Both with the registry file, whose first peer set comes at once, and with
/// a discovery whose first set takes a round trip, as a network backend's does.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class PeerJoinedOrderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_handler_subscribed_before_start_has_heard_of_the_peers_already_there_when_start_returns(bool roundTrip)
    {
        await using var cluster = new NodeCluster();
        await cluster.StartAsync("alpha");
        await cluster.StartAsync("beta");
        using var registry = new PeerRegistry(cluster.RegistryOptions());
        await using var node = new PeerNode(new PeerNodeOptions { NodeId = "late" }, Discovery(registry, roundTrip));
        var joined = new ConcurrentQueue<string>();
        node.PeerJoined += (_, peer) => joined.Enqueue(peer.Id);

        await node.StartAsync();

        Assert.Equal(["alpha", "beta"], joined.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_handler_subscribed_after_start_finds_the_peers_already_there_in_Peers_and_hears_of_the_next(bool roundTrip)
    {
        await using var cluster = new NodeCluster();
        await cluster.StartAsync("alpha");
        using var registry = new PeerRegistry(cluster.RegistryOptions());
        await using var node = new PeerNode(new PeerNodeOptions { NodeId = "late" }, Discovery(registry, roundTrip));

        await node.StartAsync();
        var seen = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        node.PeerJoined += (_, peer) => seen[peer.Id] = true;
        foreach (PeerRecord peer in node.Peers)
        {
            seen[peer.Id] = true;
        }

        Assert.Equal(["alpha"], seen.Keys);
        await cluster.StartAsync("beta");
        await Eventually.TrueAsync(() => seen.ContainsKey("beta"), "the late subscriber hears of beta");
    }

    [Fact]
    public async Task A_start_cancelled_while_the_first_peer_set_is_on_its_way_fails_and_leaves_nothing_published()
    {
        await using var cluster = new NodeCluster();
        using var registry = new PeerRegistry(cluster.RegistryOptions());
        await using var node = new PeerNode(new PeerNodeOptions { NodeId = "late" }, new RoundTripDiscovery(registry, Timeout.InfiniteTimeSpan));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => node.StartAsync(cancel.Token));

        Assert.False(node.IsRunning);
        Assert.DoesNotContain(registry.Discover(), p => p.Id == "late");
    }

    private static IPeerDiscovery Discovery(PeerRegistry registry, bool roundTrip) =>
        roundTrip ? new RoundTripDiscovery(registry, TimeSpan.FromMilliseconds(200)) : registry;

    /// <summary>The registry, with its first peer set delivered after a delay, as over a network.</summary>
    private sealed class RoundTripDiscovery(PeerRegistry registry, TimeSpan delay) : IPeerDiscovery
    {
        public ValueTask<IPeerRegistration> PublishAsync(PeerAnnouncement peer, CancellationToken cancellationToken = default) =>
            registry.PublishAsync(peer, cancellationToken);

        public int Discover(Span<PeerRecord> destination) => registry.Discover(destination);

        public IReadOnlyList<PeerRecord> Discover() => registry.Discover();

        public async IAsyncEnumerable<PeerSetChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (cancellationToken.IsCancellationRequested)
            {
                yield break;
            }

            await foreach (PeerSetChange change in registry.WatchAsync(cancellationToken))
            {
                yield return change;
            }
        }
    }
}
