using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using HdrHistogram;
using PeerEngine.Load.Cli;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Reports;
using PeerEngine.Load.Running;
using PeerEngine.Load.Targets;
using PeerEngine.Load.Tests.Support;

namespace PeerEngine.Load.Tests.Workers;

/// <summary>Real worker processes of the tool, started by the coordinator the way a user's run starts them.</summary>
public sealed partial class WorkerRunTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "peerengine-load-tests", Guid.NewGuid().ToString("N"));
    private readonly StringWriter _error = new();

    public void Dispose()
    {
        _error.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Two_workers_load_one_target_and_their_histograms_merge_exactly()
    {
        await using PeerEngineEchoPeer peer = await PeerEngineEchoPeer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));

        int exit = await RunAsync(
            new StringWriter(),
            "--target", $"tcp://{peer.EndPoint}", "--workers", "2", "--rate", "600", "--duration", "1s", "--warm-up", "200ms",
            "--timing", "sleep", "--connections", "1", "--report-folder", _folder, "--report-format", "json,hlog", "-q");

        Assert.True(exit == 0, _error.ToString());
        string run = Assert.Single(Directory.GetDirectories(_folder));
        ScenarioResult merged = JsonReport.Read(await File.ReadAllTextAsync(Path.Combine(run, "report.json"))).Scenario("echo");
        ScenarioResult[] workers = [.. Enumerable.Range(0, 2).Select(i =>
            JsonReport.Read(File.ReadAllText(Path.Combine(run, "workers", $"worker-{i}.json"))).Scenario("echo"))];

        // Each worker ran its half of the plan against the target, and the counts add up.
        Assert.All(workers, w => Assert.True(w.Ok > 0 && w.Fail == 0, $"{w.Ok} ok, {w.Fail} failed"));
        Assert.All(workers, w => Assert.InRange(w.Scheduled, (merged.Scheduled / 2) - 1, (merged.Scheduled / 2) + 1));
        Assert.Equal(workers.Sum(w => w.Scheduled), merged.Scheduled);
        Assert.Equal(workers.Sum(w => w.Ok), merged.Ok);
        Assert.Equal(workers.Sum(w => w.Bytes), merged.Bytes);
        Assert.Equal(merged.Ok, merged.Intervals.Sum(i => i.Ok));

        // The merged percentiles are those of the workers' logged histograms added together.
        LongHistogram response = Added(run, tag: null);
        LongHistogram service = Added(run, HistogramLogTags.Service);
        Assert.Equal(merged.Ok, response.TotalCount);
        Assert.All(LatencySummary.DefaultPercentiles, p => Assert.Equal(response.GetValueAtPercentile(p), merged.ResponseTime.At(p)));
        Assert.Equal(response.GetMaxValue(), merged.ResponseTime.Max);
        Assert.Equal(Math.Round(response.GetMean(), 3), merged.ResponseTime.Mean);
        Assert.Equal(service.GetValueAtPercentile(99), merged.ServiceTime.At(99));
    }

    [Fact]
    public async Task A_worker_that_cannot_reach_the_target_fails_the_run_in_one_line()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int closedPort = ((IPEndPoint)socket.LocalEndPoint!).Port;

        int exit = await RunAsync(new StringWriter(), "--target", $"tcp://127.0.0.1:{closedPort}", "--workers", "2", "--duration", "1s", "--report-folder", _folder, "-q");

        Assert.Equal(ExitCodes.Error, exit);
        string error = _error.ToString().TrimEnd();
        Assert.DoesNotContain('\n', error);
        Assert.Matches($@"^error: worker [01] \(pid \d+\) exited with code 1: tcp://127\.0\.0\.1:{closedPort}: ", error);
        Assert.Empty(Directory.Exists(_folder) ? Directory.GetFileSystemEntries(_folder) : []);
    }

    [Fact]
    public async Task A_crashed_worker_fails_the_run_and_its_peer_is_not_left_running()
    {
        using var live = new LineSignal("warming up");
        Task<int> running = RunAsync(live, "--target", "noop", "--workers", "2", "--rate", "100", "--duration", "60s", "--warm-up", "0s", "--timing", "sleep", "--report-format", "none");

        int[] pids = [.. Pids().Matches(await live.Seen.WaitAsync(TimeSpan.FromSeconds(30))).Select(m => int.Parse(m.Value, CultureInfo.InvariantCulture))];
        Assert.Equal(2, pids.Length);
        using (var victim = Process.GetProcessById(pids[1]))
        {
            victim.Kill();
        }

        Assert.Equal(ExitCodes.Error, await running);
        Assert.Equal($"error: worker 1 (pid {pids[1]}) exited with code 137 (killed by signal 9).", _error.ToString().TrimEnd());
        Assert.Throws<ArgumentException>(() => Process.GetProcessById(pids[0]).Dispose());
    }

    private Task<int> RunAsync(StringWriter live, params string[] args) => Command.RunAsync(live, _error, args);

    private static LongHistogram Added(string run, string? tag)
    {
        LongHistogram sum = new(1, ScenarioRecorder.HighestMicros, 3);
        foreach (string file in Directory.GetFiles(Path.Combine(run, "workers"), "*.hlog"))
        {
            using FileStream stream = File.OpenRead(file);
            using var reader = new HistogramLogReader(stream);
            foreach (HistogramBase interval in reader.ReadHistograms().Where(h => h.Tag == tag))
            {
                sum.Add(interval);
            }
        }

        return sum;
    }

    [GeneratedRegex(@"(?<=pids [\d, ]*)\d+")]
    private static partial Regex Pids();
}
