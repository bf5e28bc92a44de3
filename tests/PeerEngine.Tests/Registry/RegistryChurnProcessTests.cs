using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;

using PeerEngine.Registry;
using PeerEngine.Registry.Internal;

using Xunit.Abstractions;

using PeerEngine.Tests.Support;

using static PeerEngine.Tests.Registry.RegistryChildren;

namespace PeerEngine.Tests.Registry;

/// <summary>
/// Processes publishing and unpublishing nonstop, some killed at random: every snapshot read meanwhile
/// is whole and consistent (the seqlock); the control shows that a reader without it is not.
/// </summary>
[Collection(RegistryProcessGroup.Name)]
[SupportedOSPlatform("linux")]
public sealed class RegistryChurnProcessTests : IDisposable
{
    private readonly RegistryChildren _children = new();
    private readonly ITestOutputHelper _output;

    public RegistryChurnProcessTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public void Dispose() => _children.Dispose();

    [Fact]
    public async Task Eight_processes_cycling_200_times_leave_no_duplicate_no_leaked_slot_and_an_exact_generation()
    {
        const int Processes = 8;
        const int Cycles = 200;
        using var registry = _children.Open();
        long before = registry.Generation;
        List<ChildProcess> cyclers = [.. Enumerable.Range(0, Processes).Select(i => _children.Track(ChildProcess.Start(
            "cycles", _children.Folder.RegistryPath, $"c{i}", Cycles.ToString(CultureInfo.InvariantCulture), TtlArg, HeartbeatArg)))];
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
        using var registry = _children.Open(lockTimeout: TimeSpan.FromSeconds(10));
        ChildProcess steady = await _children.Track(_children.StartPublisher("steady", 5999)).ReadyAsync();
        var churners = new List<ChildProcess>();
        for (int i = 0; i < 3; i++)
        {
            churners.Add(_children.Track(ChildProcess.Start("churn", _children.Folder.RegistryPath, "churn", TtlArg, HeartbeatArg)));
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
            churners[victim] = await _children.Track(ChildProcess.Start("churn", _children.Folder.RegistryPath, "churn", TtlArg, HeartbeatArg)).ReadyAsync();
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
        using var registry = _children.Open();
        ChildProcess churner = await _children.Track(ChildProcess.Start("churn", _children.Folder.RegistryPath, "churn", TtlArg, HeartbeatArg)).ReadyAsync();
        using var stop = new CancellationTokenSource();
        Task<List<string>> checker = Task.Run(() => CheckSnapshots(registry, steady: null, stop.Token));

        string result = await _children.Track(ChildProcess.Start("naive-read", _children.Folder.RegistryPath, "3000")).ReadLineAsync();
        await stop.CancelAsync();

        // Proves the churn test's checks can fail: the same writer tears plain copies, not ours.
        _output.WriteLine($"naive reader: {result}");
        string[] words = result.Split(' ');
        Assert.Equal("torn", words[0]);
        Assert.True(long.Parse(words[1], CultureInfo.InvariantCulture) > 0, $"the naive reader saw no torn slot: {result}");
        Assert.Empty(await checker);
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
}
