using System.Diagnostics;
using System.Runtime.Versioning;

using PeerEngine.Registry;
using PeerEngine.Registry.Internal;

using Xunit.Abstractions;

using PeerEngine.Tests.Support;

using static PeerEngine.Tests.Registry.RegistryChildren;

namespace PeerEngine.Tests.Registry;

/// <summary>Child processes take most of the machine's two cores: these tests run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RegistryProcessGroup
{
    public const string Name = "Registry processes";
}

/// <summary>
/// Real child processes publishing and heartbeating, killed with SIGKILL or stopped: who is live,
/// and how soon the others see it.
/// </summary>
[Collection(RegistryProcessGroup.Name)]
[SupportedOSPlatform("linux")]
public sealed class RegistryProcessTests : IDisposable
{
    private readonly RegistryChildren _children = new();
    private readonly ITestOutputHelper _output;

    public RegistryProcessTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _children.Dispose();

    [Fact]
    public async Task Sixteen_processes_create_and_publish_concurrently_into_distinct_slots_and_the_killed_half_disappears_within_the_TTL()
    {
        // The file does not exist yet: the children also race to create it, and exactly one may.
        List<ChildProcess> peers = [.. Enumerable.Range(0, 16).Select(i => _children.StartPublisher($"proc-{i}", 6000 + i))];
        await Task.WhenAll(peers.Select(p => p.ReadyAsync()));
        using var registry = _children.Open();

        var buffer = new PeerRecord[64];
        var slots = new int[64];

        // Ready means published; a child the machine starves past the TTL (16 processes start at
        // once on 2 cores) reads as not live until its next heartbeat. What is checked here is that
        // all 16 got distinct slots, so wait for each to be live, not for the scheduler.
        int count = 0;
        await Eventually.WaitUntilAsync(() => (count = registry.File.Scan(buffer, NowMs(), out _, slots)) == 16, TimeSpan.FromSeconds(10), "all 16 publishers are live");
        Assert.Equal(16, count);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => $"proc-{i}").Order(), buffer[..16].Select(p => p.Id).Order());
        Assert.Equal(16, slots[..16].Distinct().Count());
        Assert.Equal(peers.Select(p => p.Id).Order(), buffer[..16].Select(p => p.ProcessId).Order());
        Assert.Equal(16, slots[..16].Select(s => registry.File.ReadRegistrationId(s)).Distinct().Count());

        List<ChildProcess> killed = [.. peers.Where((_, i) => i % 2 == 0)];
        List<ChildProcess> kept = [.. peers.Where((_, i) => i % 2 == 1)];
        HashSet<int> keptPids = [.. kept.Select(p => p.Id)];
        var lostSurvivors = new List<string>();
        foreach (ChildProcess peer in killed)
        {
            peer.Kill();
        }

        TimeSpan gone = await Eventually.WaitUntilAsync(
            () =>
            {
                IReadOnlyList<PeerRecord> now = registry.Discover();
                lostSurvivors.AddRange(kept.Where(p => !now.Any(r => r.ProcessId == p.Id)).Select(p => $"pid {p.Id}"));
                return now.Count == 8 && now.All(r => keptPids.Contains(r.ProcessId));
            },
            Ttl + TimeSpan.FromSeconds(2),
            "the killed peers leave discovery");

        _output.WriteLine($"killed peers left discovery {gone.TotalMilliseconds:0} ms after SIGKILL (TTL {TtlMs} ms)");
        Assert.Empty(lostSurvivors);
        Assert.True(gone <= Ttl + TimeSpan.FromMilliseconds(500), $"killed peers took {gone.TotalMilliseconds:0} ms to disappear");

        // Dead (lock free, heartbeat stale): reclaimable. The survivors' slots are not touched.
        long reclaimed = registry.ReclaimedSlots;
        Assert.Equal(8, registry.Sweep());
        Assert.Equal(reclaimed + 8, registry.ReclaimedSlots);
        Assert.Equal(8, registry.Discover().Count);

        Assert.All(await Task.WhenAll(kept.Select(p => p.ExitGracefullyAsync())), code => Assert.Equal(0, code));
        Assert.Empty(registry.Discover());
    }

    [Fact]
    public async Task A_killed_peer_leaves_discovery_at_its_first_missed_heartbeat_long_before_its_TTL()
    {
        using var registry = _children.Open();
        ChildProcess peer = await _children.Track(ChildProcess.Start("publish", _children.Folder.RegistryPath, "short-lived", "1", "10000", HeartbeatArg)).ReadyAsync();
        Assert.Single(registry.Discover());

        peer.Kill();
        TimeSpan gone = await Eventually.WaitUntilAsync(() => registry.Discover().Count == 0, TimeSpan.FromSeconds(5), "the killed peer leaves discovery");

        // TTL 10 s, heartbeat 250 ms: missed after 375 ms, then one probe of its (free) liveness lock.
        _output.WriteLine($"killed peer with a 10 s TTL left discovery {gone.TotalMilliseconds:0} ms after SIGKILL");
        registry.File.Scan([], NowMs(), out ScanSummary summary);
        Assert.Equal(1, summary.Dead);
        Assert.Equal(0, summary.Expired);
        Assert.Equal(1, registry.Sweep());
    }

    [Fact]
    public async Task A_full_registry_takes_a_new_peer_as_soon_as_an_owner_is_killed_without_waiting_for_its_TTL()
    {
        using var registry = _children.Open(capacity: 2);
        ChildProcess first = await _children.StartPublisher("first", 1).ReadyAsync();
        await _children.StartPublisher("second", 2).ReadyAsync();

        Assert.Throws<RegistryFullException>(() => registry.Publish(Peer("third", 3)));
        Assert.Equal(["first", "second"], registry.Discover().Select(p => p.Id).Order());

        first.Kill();
        var sinceKill = Stopwatch.StartNew();
        using IPeerRegistration third = registry.Publish(Peer("third", 3));

        Assert.True(sinceKill.Elapsed < Ttl / 2, "the dead owner's slot should be taken at once");
        Assert.Equal(["second", "third"], registry.Discover().Select(p => p.Id).Order());
    }

    [Fact]
    public async Task A_stopped_peer_is_hidden_after_its_TTL_but_keeps_its_slot_and_returns_when_continued()
    {
        using var registry = _children.Open();
        ChildProcess sleeper = await _children.Track(_children.StartPublisher("sleeper", 7000)).ReadyAsync();
        var slots = new int[4];
        var found = new PeerRecord[4];
        Assert.Equal(1, registry.File.Scan(found, NowMs(), out _, slots));
        int slot = slots[0];
        ulong? registrationId = registry.File.ReadRegistrationId(slot);
        Assert.NotNull(registrationId);

        sleeper.Stop();
        try
        {
            // It misses heartbeats long before its TTL, and readers probe it: its lock is held, so it
            // is never judged dead, only hidden once the TTL has passed.
            int judgedDead = 0;
            await Eventually.WaitUntilAsync(
                () =>
                {
                    int visible = registry.File.Scan(found, NowMs(), out ScanSummary scan);
                    judgedDead += scan.Dead;
                    return visible == 0;
                },
                Ttl + TimeSpan.FromSeconds(2),
                "the stopped peer is hidden");
            Assert.Equal(0, judgedDead);

            // Its liveness lock is still held: not dead, so neither a sweep nor a claim may take the slot.
            Assert.Equal(0, registry.Sweep());
            using IPeerRegistration other = registry.Publish(Peer("other", 1));
            Assert.Equal(1, registry.File.Scan(found, NowMs(), out ScanSummary summary, slots));
            Assert.NotEqual(slot, slots[0]);
            Assert.Equal(1, summary.Expired);
            Assert.Equal(registrationId, registry.File.ReadRegistrationId(slot));
        }
        finally
        {
            sleeper.Continue();
        }

        await Eventually.WaitUntilAsync(() => registry.Discover().Any(p => p.Id == "sleeper"), TimeSpan.FromSeconds(5), "the continued peer heartbeats again");
        Assert.Single(registry.Discover(), p => p.Id == "sleeper");
        Assert.Equal(registrationId, registry.File.ReadRegistrationId(slot));
    }
}
