using System.Runtime.Versioning;

using Microsoft.Extensions.Time.Testing;

using PeerEngine.Registry;

using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Registry;

/// <summary>Liveness by heartbeat and TTL, on a controllable clock.</summary>
[SupportedOSPlatform("linux")]
public sealed class RegistryTtlTests : IDisposable
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_peer_without_heartbeats_is_visible_until_its_TTL_and_hidden_from_then_on()
    {
        // The publisher's clock stands still, so its heartbeat timer never fires: a hung peer.
        var publisherClock = new FakeTimeProvider(Start);
        var readerClock = new FakeTimeProvider(Start);
        using var publisher = Open(publisherClock);
        using var reader = Open(readerClock);
        using IPeerRegistration registration = publisher.Publish(new PeerAnnouncement { Id = "quiet", Host = "h", Port = 1 });

        readerClock.Advance(Ttl - TimeSpan.FromMilliseconds(1));
        Assert.Single(reader.Discover());

        readerClock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Empty(reader.Discover());

        // Its own process still owns the slot, so a sweep keeps it.
        Assert.Equal(0, reader.Sweep());

        // The publisher's timer catches up and heartbeats: visible again, same peer.
        publisherClock.Advance(Ttl);
        PeerRecord back = Assert.Single(reader.Discover());
        Assert.Equal(Start + Ttl, back.LastSeen);
    }

    [Fact]
    public void Heartbeats_keep_a_peer_visible_far_beyond_its_TTL()
    {
        var clock = new FakeTimeProvider(Start);
        using var registry = Open(clock);
        using IPeerRegistration registration = registry.Publish(new PeerAnnouncement { Id = "steady", Host = "h", Port = 1 });

        for (int step = 0; step < 50; step++)
        {
            clock.Advance(Interval);
            PeerRecord peer = Assert.Single(registry.Discover());
            Assert.Equal(clock.GetUtcNow(), peer.LastSeen);
        }
    }

    [Fact]
    public void An_explicit_heartbeat_refreshes_last_seen_and_does_nothing_after_unpublish()
    {
        var publisherClock = new FakeTimeProvider(Start);
        using var registry = Open(publisherClock);
        IPeerRegistration registration = registry.Publish(new PeerAnnouncement { Id = "beat", Host = "h", Port = 1 });

        publisherClock.SetUtcNow(Start + TimeSpan.FromMilliseconds(700));
        registration.Heartbeat();
        Assert.Equal(Start + TimeSpan.FromMilliseconds(700), Assert.Single(registry.Discover()).LastSeen);

        long generation = registry.Generation;
        registration.Dispose();
        registration.Heartbeat();
        Assert.Empty(registry.Discover());
        Assert.Equal(generation + 1, registry.Generation);
    }

    [Fact]
    public void Each_peer_is_judged_by_the_TTL_its_owner_published()
    {
        var clock = new FakeTimeProvider(Start);
        using var shortLived = new PeerRegistry(new PeerRegistryOptions { Path = _folder.RegistryPath, Ttl = TimeSpan.FromSeconds(1), HeartbeatInterval = TimeSpan.FromMilliseconds(200) }, new FakeTimeProvider(Start));
        using var reader = Open(clock);
        using IPeerRegistration quick = shortLived.Publish(new PeerAnnouncement { Id = "quick", Host = "h", Port = 1 });
        using var longLived = Open(new FakeTimeProvider(Start));
        using IPeerRegistration slow = longLived.Publish(new PeerAnnouncement { Id = "slow", Host = "h", Port = 2 });

        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal("slow", Assert.Single(reader.Discover()).Id);
    }

    [Fact]
    public async Task Watch_yields_the_current_peers_then_each_publish_unpublish_and_expiry()
    {
        var clock = new CountingTimeProvider(new FakeTimeProvider(Start));
        using var reader = Open(clock);
        using var publisher = Open(new FakeTimeProvider(Start));
        using IPeerRegistration first = publisher.Publish(new PeerAnnouncement { Id = "first", Host = "h", Port = 1 });
        using var cancel = new CancellationTokenSource();
        await using IAsyncEnumerator<PeerSetChange> changes = reader.WatchAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);

        Assert.True(await changes.MoveNextAsync());
        Assert.Equal("first", Assert.Single(changes.Current.Added).Id);

        IPeerRegistration second = publisher.Publish(new PeerAnnouncement { Id = "second", Host = "h", Port = 2 });
        PeerSetChange added = await NextChangeAsync(changes, clock);
        Assert.Equal("second", Assert.Single(added.Added).Id);
        Assert.Empty(added.Removed);
        Assert.Equal(2, added.Peers.Count);
        Assert.Equal(Start + TimeSpan.FromMilliseconds(500), clock.GetUtcNow());

        second.Dispose();
        PeerSetChange removed = await NextChangeAsync(changes, clock);
        Assert.Equal("second", Assert.Single(removed.Removed).Id);
        Assert.Empty(removed.Added);

        // "first" stops heartbeating (its publisher's clock stands still) and expires on the reader's
        // clock exactly at its TTL.
        PeerSetChange expired = await NextChangeAsync(changes, clock);
        Assert.Equal("first", Assert.Single(expired.Removed).Id);
        Assert.Empty(expired.Peers);
        Assert.Equal(Start + Ttl, clock.GetUtcNow());

        cancel.Cancel();
        Assert.False(await changes.MoveNextAsync());
    }

    /// <summary>
    /// Advances the reader's clock one watch interval at a time, each time waiting until the watcher
    /// has either reported a change or gone back to sleep (created its next delay timer).
    /// </summary>
    private static async Task<PeerSetChange> NextChangeAsync(IAsyncEnumerator<PeerSetChange> changes, CountingTimeProvider clock)
    {
        ValueTask<bool> next = changes.MoveNextAsync();
        for (int step = 0; !next.IsCompleted; step++)
        {
            Assert.True(step < 100, "the watcher reported no change within 100 intervals");
            int timers = clock.TimersCreated;
            clock.Advance(TimeSpan.FromMilliseconds(500));
            await Eventually.WaitUntilAsync(() => next.IsCompleted || clock.TimersCreated > timers, TimeSpan.FromSeconds(10), "the watcher polled");
        }

        Assert.True(await next);
        return changes.Current;
    }

    private PeerRegistry Open(TimeProvider clock) => new(
        new PeerRegistryOptions { Path = _folder.RegistryPath, Ttl = Ttl, HeartbeatInterval = Interval, WatchInterval = TimeSpan.FromMilliseconds(500) },
        clock);
}

/// <summary>A <see cref="FakeTimeProvider"/> that counts the timers created on it, so a test knows when a poller is asleep again.</summary>
internal sealed class CountingTimeProvider(FakeTimeProvider inner) : TimeProvider
{
    private int _timers;

    public int TimersCreated => Volatile.Read(ref _timers);

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

    public override long GetTimestamp() => inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ITimer timer = inner.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _timers);
        return timer;
    }

    public void Advance(TimeSpan delta) => inner.Advance(delta);
}
