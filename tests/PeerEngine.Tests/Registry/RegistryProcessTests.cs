using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;

using PeerEngine.Registry;
using PeerEngine.Registry.Internal;

using Xunit.Abstractions;

using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Registry;

/// <summary>Child processes take most of the machine's two cores: these tests run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RegistryProcessGroup
{
    public const string Name = "Registry processes";
}

/// <summary>Real child processes publishing, heartbeating, holding the lock, stopped and killed with SIGKILL.</summary>
[Collection(RegistryProcessGroup.Name)]
[SupportedOSPlatform("linux")]
public sealed class RegistryProcessTests : IDisposable
{
    // Short, so the suite stays fast; heartbeats 8 times per TTL so a loaded machine does not flap.
    private const int TtlMs = 2000;
    private const int HeartbeatMs = 250;
    private static readonly TimeSpan Ttl = TimeSpan.FromMilliseconds(TtlMs);
    private static readonly string TtlArg = TtlMs.ToString(CultureInfo.InvariantCulture);
    private static readonly string HeartbeatArg = HeartbeatMs.ToString(CultureInfo.InvariantCulture);

    private readonly TempFolder _folder = new();
    private readonly List<ChildProcess> _processes = [];
    private readonly ITestOutputHelper _output;

    public RegistryProcessTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose()
    {
        foreach (ChildProcess process in _processes)
        {
            process.Dispose();
        }

        _folder.Dispose();
    }

    [Fact]
    public async Task Sixteen_processes_create_and_publish_concurrently_into_distinct_slots_and_the_killed_half_disappears_within_the_TTL()
    {
        // The file does not exist yet: the children also race to create it, and exactly one may.
        List<ChildProcess> peers = [.. Enumerable.Range(0, 16).Select(i => StartPublisher($"proc-{i}", 6000 + i))];
        await Task.WhenAll(peers.Select(p => p.ReadyAsync()));
        using var registry = Open();

        var buffer = new PeerRecord[64];
        var slots = new int[64];
        int count = registry.File.Scan(buffer, NowMs(), out _, slots);
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
        using var registry = Open();
        ChildProcess peer = await Track(ChildProcess.Start("publish", _folder.RegistryPath, "short-lived", "1", "10000", HeartbeatArg)).ReadyAsync();
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
        using var registry = Open(capacity: 2);
        ChildProcess first = await StartPublisher("first", 1).ReadyAsync();
        await StartPublisher("second", 2).ReadyAsync();

        Assert.Throws<RegistryFullException>(() => registry.Publish(Peer("third", 3)));
        Assert.Equal(["first", "second"], registry.Discover().Select(p => p.Id).Order());

        first.Kill();
        var sinceKill = Stopwatch.StartNew();
        using IPeerRegistration third = registry.Publish(Peer("third", 3));

        Assert.True(sinceKill.Elapsed < Ttl / 2, "the dead owner's slot should be taken at once");
        Assert.Equal(["second", "third"], registry.Discover().Select(p => p.Id).Order());
    }

    [Fact]
    public async Task A_writer_killed_while_holding_the_lock_blocks_others_only_until_the_kernel_reaps_it()
    {
        using var impatient = Open(lockTimeout: TimeSpan.FromMilliseconds(300));
        using var patient = Open(lockTimeout: TimeSpan.FromSeconds(10));
        ChildProcess holder = await Track(ChildProcess.Start("hold-lock", _folder.RegistryPath)).ReadyAsync();

        var timeout = Assert.Throws<RegistryLockTimeoutException>(() => impatient.Publish(Peer("blocked", 1)));
        Assert.Equal(holder.Id, timeout.LastWriterProcessId);
        Assert.Contains($"pid {holder.Id}", timeout.Message, StringComparison.Ordinal);

        Task<IPeerRegistration> waiting = Task.Run(() => patient.Publish(Peer("waiting", 2)));
        var sinceKill = Stopwatch.StartNew();
        holder.Kill();
        using IPeerRegistration registration = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        sinceKill.Stop();

        // Documented bound: the kernel's teardown of the holder plus one 10 ms poll; measured tens of ms.
        _output.WriteLine($"publish completed {sinceKill.Elapsed.TotalMilliseconds:0.0} ms after the lock holder was killed");
        Assert.True(sinceKill.Elapsed < TimeSpan.FromSeconds(1), $"publish completed {sinceKill.Elapsed.TotalMilliseconds:0} ms after the holder was killed");
        Assert.Equal("waiting", Assert.Single(patient.Discover()).Id);
    }

    [Fact]
    public async Task A_slot_left_half_written_by_a_killed_writer_is_never_read_and_is_repaired_by_the_next_writer()
    {
        using var registry = Open(lockTimeout: TimeSpan.FromSeconds(10));
        IPeerRegistration wasHere = registry.Publish(Peer("was-here", 1));
        using IPeerRegistration bystander = registry.Publish(Peer("bystander", 2));
        wasHere.Dispose();
        long generation = registry.Generation;
        long repairs = registry.RepairedSlots;

        var slots = new int[1];
        registry.File.Scan(new PeerRecord[1], NowMs(), out _, slots);
        Assert.Equal(1, slots[0]);
        ChildProcess writer = await Track(ChildProcess.Start("die-mid-write", _folder.RegistryPath, "0")).ReadyAsync();

        // Slot 0 is odd and half garbage: readers skip it and report it in flux, never return it.
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal("bystander", Assert.Single(registry.Discover()).Id);
        }

        registry.File.Scan([], NowMs(), out ScanSummary summary);
        Assert.Equal(1, summary.InFlux);

        writer.Kill();
        using IPeerRegistration next = registry.Publish(Peer("next", 3));

        Assert.Equal(repairs + 1, registry.RepairedSlots);
        Assert.Equal(generation + 2, registry.Generation);
        Assert.Equal(["bystander", "next"], registry.Discover().Select(p => p.Id).Order());
        registry.File.Scan([], NowMs(), out summary);
        Assert.Equal(0, summary.InFlux);
    }

    [Fact]
    public async Task A_stopped_peer_is_hidden_after_its_TTL_but_keeps_its_slot_and_returns_when_continued()
    {
        using var registry = Open();
        ChildProcess sleeper = await Track(StartPublisher("sleeper", 7000)).ReadyAsync();
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

    [Fact]
    public async Task Eight_processes_cycling_200_times_leave_no_duplicate_no_leaked_slot_and_an_exact_generation()
    {
        const int Processes = 8;
        const int Cycles = 200;
        using var registry = Open();
        long before = registry.Generation;
        List<ChildProcess> cyclers = [.. Enumerable.Range(0, Processes).Select(i => Track(ChildProcess.Start(
            "cycles", _folder.RegistryPath, $"c{i}", Cycles.ToString(CultureInfo.InvariantCulture), TtlArg, HeartbeatArg)))];
        await Task.WhenAll(cyclers.Select(p => p.ReadyAsync()));

        using var stop = new CancellationTokenSource();
        Task<List<string>> checker = Task.Run(() => CheckSnapshots(registry, steady: null, stop.Token));
        Assert.All(await Task.WhenAll(cyclers.Select(p => p.ReadLineAsync())), line => Assert.Equal("done", line));
        Assert.All(await Task.WhenAll(cyclers.Select(p => p.WaitForExitAsync())), code => Assert.Equal(0, code));
        await stop.CancelAsync();

        Assert.Empty(await checker);
        Assert.Equal(before + (Processes * Cycles * 2), registry.Generation);
        registry.File.Scan([], NowMs(), out ScanSummary summary);
        Assert.Equal(0, summary.Live + summary.Expired + summary.InFlux + summary.Corrupt);
        Assert.Equal(0, registry.Sweep());
    }

    [Fact]
    public async Task Churn_with_processes_killed_at_random_ends_with_zero_anomalies()
    {
        // 8 s keeps the suite fast; the 30 s run: PEERENGINE_REGISTRY_CHURN_SECONDS=30.
        TimeSpan duration = TimeSpan.FromSeconds(double.Parse(
            Environment.GetEnvironmentVariable("PEERENGINE_REGISTRY_CHURN_SECONDS") ?? "8", CultureInfo.InvariantCulture));
        using var registry = Open(lockTimeout: TimeSpan.FromSeconds(10));
        ChildProcess steady = await Track(StartPublisher("steady", 5999)).ReadyAsync();
        var churners = new List<ChildProcess>();
        for (int i = 0; i < 3; i++)
        {
            churners.Add(Track(ChildProcess.Start("churn", _folder.RegistryPath, "churn", TtlArg, HeartbeatArg)));
        }

        await Task.WhenAll(churners.Select(p => p.ReadyAsync()));
        using var stop = new CancellationTokenSource();
        long snapshots = 0;
        Task<List<string>> checker = Task.Run(() => CheckSnapshots(registry, steady: "steady", out snapshots, stop.Token));

        var random = new Random(7);
        var clock = Stopwatch.StartNew();
        int kills = 0;
        while (clock.Elapsed < duration)
        {
            // Kill one at a random point of its publish/unpublish loop, often inside the writer lock.
            int victim = random.Next(churners.Count);
            await Task.Delay(random.Next(20, 80));
            churners[victim].Kill();
            kills++;
            churners[victim] = await Track(ChildProcess.Start("churn", _folder.RegistryPath, "churn", TtlArg, HeartbeatArg)).ReadyAsync();
        }

        foreach (ChildProcess churner in churners)
        {
            churner.Kill();
        }

        await Eventually.WaitUntilAsync(
            () => registry.Discover().Select(p => p.Id).SequenceEqual(["steady"]),
            Ttl + TimeSpan.FromSeconds(2),
            "every killed churner leaves discovery");
        await stop.CancelAsync();
        List<string> anomalies = await checker;

        _output.WriteLine($"churn: {duration.TotalSeconds:0} s, {kills} kills, {snapshots} snapshots checked, 0 anomalies expected, {anomalies.Count} found");
        Assert.True(kills > 5, $"only {kills} kills");
        Assert.True(snapshots > 1000, $"only {snapshots} snapshots");
        Assert.True(anomalies.Count == 0, string.Join("\n", anomalies.Take(20)));
        registry.Sweep();
        registry.File.Scan([], NowMs(), out ScanSummary summary);
        Assert.Equal(1, summary.Live);
        Assert.Equal(0, summary.Expired + summary.InFlux + summary.Corrupt);
        Assert.Equal(0, await steady.ExitGracefullyAsync());
    }

    [Fact]
    public async Task The_control_a_reader_that_ignores_the_seqlock_does_see_torn_slots_under_the_same_churn()
    {
        using var registry = Open();
        ChildProcess churner = await Track(ChildProcess.Start("churn", _folder.RegistryPath, "churn", TtlArg, HeartbeatArg)).ReadyAsync();
        using var stop = new CancellationTokenSource();
        Task<List<string>> checker = Task.Run(() => CheckSnapshots(registry, steady: null, stop.Token));

        string result = await Track(ChildProcess.Start("naive-read", _folder.RegistryPath, "3000")).ReadLineAsync();
        await stop.CancelAsync();

        // Proves the churn test's checks can fail: the same writer tears plain copies, not ours.
        _output.WriteLine($"naive reader: {result}");
        string[] words = result.Split(' ');
        Assert.Equal("torn", words[0]);
        Assert.True(long.Parse(words[1], CultureInfo.InvariantCulture) > 0, $"the naive reader saw no torn slot: {result}");
        Assert.Empty(await checker);
    }

    [Fact]
    public async Task Opening_the_same_file_again_in_process_never_drops_this_process_locks()
    {
        using var registry = Open();
        using IPeerRegistration registration = registry.Publish(Peer("anchored", 1));
        var slots = new int[1];
        registry.File.Scan(new PeerRecord[1], NowMs(), out _, slots);
        string livenessByte = RegistryLayout.LivenessLockOffset(slots[0]).ToString(CultureInfo.InvariantCulture);
        string link = _folder.PathOf("link");
        Directory.CreateSymbolicLink(link, _folder.FolderPath);

        string hardLink = _folder.PathOf("hard-link.bin");
        using (var ln = Process.Start("ln", [_folder.RegistryPath, hardLink]))
        {
            await ln.WaitForExitAsync();
            Assert.Equal(0, ln.ExitCode);
        }

        // The same file by another spelling: through a symlinked folder, with "..", and by a hard link
        // (a different canonical path: recognised by its epoch and a nonce written through the mapping).
        string[] aliases = [Path.Combine(link, "registry.bin"), Path.Combine(_folder.FolderPath, "..", Path.GetFileName(_folder.FolderPath), "registry.bin"), hardLink];
        foreach (string alias in aliases)
        {
            using var again = new PeerRegistry(new PeerRegistryOptions { Path = alias, Ttl = Ttl, HeartbeatInterval = TimeSpan.FromMilliseconds(HeartbeatMs) });
            Assert.Same(registry.File, again.File);
            Assert.Single(again.Discover());
        }

        Assert.Equal("held", await Track(ChildProcess.Start("probe", _folder.RegistryPath, livenessByte)).ReadLineAsync());

        // The control: the trap is real. Any other descriptor of the file, once closed, drops them.
        using (new FileStream(_folder.RegistryPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        {
        }

        Assert.Equal("free", await Track(ChildProcess.Start("probe", _folder.RegistryPath, livenessByte)).ReadLineAsync());
    }

    [Fact]
    public void A_copy_of_the_file_shares_the_epoch_but_is_told_apart_as_another_file()
    {
        using var registry = Open();
        using IPeerRegistration registration = registry.Publish(Peer("original", 1));
        string copy = _folder.PathOf("copy.bin");
        File.Copy(_folder.RegistryPath, copy);

        using var copied = new PeerRegistry(new PeerRegistryOptions { Path = copy });

        Assert.NotSame(registry.File, copied.File);
        Assert.Equal(registry.File.Epoch, copied.File.Epoch);
        using IPeerRegistration other = copied.Publish(Peer("in-copy", 2));
        Assert.Equal("original", Assert.Single(registry.Discover()).Id);
    }

    [Fact]
    public async Task Mutual_exclusion_holds_when_a_process_disables_dotnet_file_locking()
    {
        using var registry = Open(lockTimeout: TimeSpan.FromMilliseconds(300));
        var environment = new Dictionary<string, string> { ["DOTNET_SYSTEM_IO_DISABLEFILELOCKING"] = "1" };
        ChildProcess holder = await Track(ChildProcess.Start(environment, "hold-lock", _folder.RegistryPath)).ReadyAsync();

        Assert.Throws<RegistryLockTimeoutException>(() => registry.Publish(Peer("blocked", 1)));

        holder.Kill();
        using IPeerRegistration registration = registry.Publish(Peer("after", 2));
        Assert.Single(registry.Discover());
    }

    /// <summary>
    /// Takes snapshots nonstop until cancelled and returns every anomaly: a duplicate id, a record
    /// whose fields break the churn invariant (a torn read), or the steady peer missing.
    /// </summary>
    private static List<string> CheckSnapshots(PeerRegistry registry, string? steady, CancellationToken stop) =>
        CheckSnapshots(registry, steady, out _, stop);

    private static List<string> CheckSnapshots(PeerRegistry registry, string? steady, out long snapshots, CancellationToken stop)
    {
        var anomalies = new List<string>();
        var buffer = new PeerRecord[256];
        var ids = new HashSet<string>(StringComparer.Ordinal);
        snapshots = 0;
        while (!stop.IsCancellationRequested)
        {
            int count = registry.File.Scan(buffer, NowMs(), out ScanSummary summary);
            snapshots++;

            // A checksum failure here means a torn copy got past the sequence check: the seqlock failed.
            if (summary.Corrupt > 0)
            {
                anomalies.Add($"snapshot {snapshots}: {summary.Corrupt} slot(s) failed the checksum");
            }

            ids.Clear();
            bool sawSteady = false;
            foreach (PeerRecord peer in buffer.AsSpan(0, Math.Min(count, buffer.Length)))
            {
                if (!ids.Add(peer.Id))
                {
                    anomalies.Add($"snapshot {snapshots}: duplicate id {peer.Id}");
                }

                sawSteady |= peer.Id == steady;
                if (peer.Id != steady && !IsConsistentChurnPeer(peer))
                {
                    anomalies.Add($"snapshot {snapshots}: torn record {peer}");
                }
            }

            if (steady is not null && !sawSteady)
            {
                anomalies.Add($"snapshot {snapshots}: the steady peer is missing");
            }
        }

        return anomalies;
    }

    /// <summary>The RegistryPeer churn invariant: id "{prefix}-{pid}-{n}", host "h{pid}-{n}.test", port n % 60000 + 1, pid = publisher.</summary>
    private static bool IsConsistentChurnPeer(PeerRecord peer)
    {
        string[] parts = peer.Id.Split('-');
        return parts.Length == 3
               && int.TryParse(parts[1], CultureInfo.InvariantCulture, out int pid)
               && int.TryParse(parts[2], CultureInfo.InvariantCulture, out int n)
               && pid == peer.ProcessId
               && peer.Host == $"h{pid}-{n}.test"
               && peer.Port == (n % 60000) + 1
               && peer.Transport == PeerTransport.Tcp;
    }

    private static PeerAnnouncement Peer(string id, int port) => new() { Id = id, Host = "127.0.0.1", Port = port };

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private ChildProcess StartPublisher(string id, int port) => Track(ChildProcess.Start(
        "publish", _folder.RegistryPath, id, port.ToString(CultureInfo.InvariantCulture), TtlArg, HeartbeatArg));

    private ChildProcess Track(ChildProcess process)
    {
        _processes.Add(process);
        return process;
    }

    private PeerRegistry Open(TimeSpan? lockTimeout = null, int capacity = 1024) => new(new PeerRegistryOptions
    {
        Path = _folder.RegistryPath,
        Capacity = capacity,
        Ttl = Ttl,
        HeartbeatInterval = TimeSpan.FromMilliseconds(HeartbeatMs),
        LockTimeout = lockTimeout ?? TimeSpan.FromSeconds(2),
    });
}
