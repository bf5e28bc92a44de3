using System.Globalization;
using System.Text.RegularExpressions;
using PeerEngine.Load.Cli;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Reports;
using PeerEngine.Load.Targets;
using PeerEngine.Load.Tests.Support;

namespace PeerEngine.Load.Tests.Targets;

/// <summary>A target that goes away mid-run and comes back: dialled again with back-off, the outage a span of errors, then recovery.</summary>
public sealed partial class ReconnectTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_back_off_defaults_to_50_ms_doubling_to_2_s()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(50), Reconnect.Default.Backoff);
        Assert.Equal(TimeSpan.FromSeconds(2), Reconnect.Default.MaxBackoff);

        PeerNodeOptions options = PeerEngineClient.NodeOptions("n", 1024, listen: false, new Reconnect(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(300)));
        Assert.Equal((TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(300)), (options.Pool.ReconnectBackoff, options.Pool.MaxReconnectBackoff));
        PeerNodeOptions defaults = PeerEngineClient.NodeOptions("n", 1024, listen: false);
        Assert.Equal((Reconnect.Default.Backoff, Reconnect.Default.MaxBackoff), (defaults.Pool.ReconnectBackoff, defaults.Pool.MaxReconnectBackoff));
    }

    [Fact]
    public void Bounds_out_of_order_are_refused()
    {
        Assert.Throws<FormatException>(() => Reconnect.Create(TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        Assert.Throws<FormatException>(() => Reconnect.Create(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)));
        Assert.Equal(new Reconnect(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), Reconnect.Create(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_peerengine_run_node_killed_and_restarted_on_its_port_is_dialled_again_and_the_report_shows_the_outage()
    {
        Directory.CreateDirectory(_temp.Path);
        string registry = Path.Combine(_temp.Path, "peers.registry");
        int port = HostNode.FreePort();
        HostNode node = await HostNode.StartAsync(port, registry);
        try
        {
            using var lines = new LineWatch();
            using var stop = new CancellationTokenSource();
            Task<string> answered = lines.NextAsync(l => Rate(l, "ok") > 0);
            Task<int> run = LoadCommand.InvokeAsync(
                [
                    "--target", $"tcp://127.0.0.1:{port}", "--simulation", "inject:rate=200,interval=1s,during=60s", "--warm-up", "0s",
                    "--interval", "250ms", "--timing", "sleep", "--connections", "2", "--no-live",
                    "--reconnect-backoff", "20ms", "--max-reconnect-backoff", "200ms",
                    "--report-folder", _temp.Path, "--report-format", "json,md",
                ],
                Consoles.Create(new StringWriter()),
                lines,
                lines,
                cancellationToken: stop.Token);

            await answered.WaitAsync(TimeSpan.FromSeconds(60));
            Task<string> failing = lines.NextAsync(l => Rate(l, "ok") == 0 && Rate(l, "failed") > 0);
            await node.KillAsync();
            await failing.WaitAsync(TimeSpan.FromSeconds(60));

            // Back on the same port: two intervals in a row with answers and no failures are the recovery.
            node.Dispose();
            Task<string> recovered = lines.NextAsync(l => Rate(l, "ok") > 0 && Rate(l, "failed") == 0, times: 2);
            node = await HostNode.StartAsync(port, registry);
            await recovered.WaitAsync(TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            Assert.Equal(ExitCodes.Passed, await run.WaitAsync(TimeSpan.FromSeconds(60)));

            string folder = Assert.Single(Directory.GetDirectories(_temp.Path));
            ScenarioResult echo = JsonReport.Read(await File.ReadAllTextAsync(Path.Combine(folder, "report.json"))).Scenario("echo");
            IntervalStats[] timeline = [.. echo.Intervals];
            string seen = string.Join(", ", timeline.Select(i => $"{i.EndSeconds:0.##} s {i.Ok}/{i.Fail}"));
            int firstFail = Array.FindIndex(timeline, i => i.Fail > 0);
            int down = Array.FindIndex(timeline, Math.Max(firstFail, 0), i => i.Ok == 0 && i.Fail > 0);
            int back = down < 0 ? -1 : Array.FindIndex(timeline, down + 1, i => i.Ok > 0 && i.Fail == 0);
            Assert.True(firstFail > 0 && timeline[..firstFail].Any(i => i.Ok > 0), $"answers before the outage (ok/failed per interval: {seen})");
            Assert.True(down >= firstFail && back > down, $"only errors, then recovery (ok/failed per interval: {seen})");

            // The errors of the outage lie within it: from the interval of the first failure to the recovery.
            // (A call in flight when the test stops the run fails as "cancelled": the stop's, not the outage's.)
            double outageStart = timeline[firstFail].EndSeconds - timeline[firstFail].Seconds;
            ErrorTally[] outage = [.. echo.Errors.Where(e => e.Code != "cancelled")];
            Assert.NotEmpty(outage);
            Assert.All(outage, e => Assert.InRange(e.FirstSeconds, outageStart, timeline[back].EndSeconds));
            Assert.All(outage, e => Assert.InRange(e.LastSeconds, e.FirstSeconds, timeline[back].EndSeconds));
            Assert.Contains(echo.Errors, e => e.Code == nameof(PeerUnavailableException) && e.Sample!.Contains($"127.0.0.1:{port}", StringComparison.Ordinal));
            Assert.Equal(echo.Fail, echo.Errors.Sum(e => e.Count));
            Assert.Contains("| PeerUnavailableException |", await File.ReadAllTextAsync(Path.Combine(folder, "report.md")), StringComparison.Ordinal);
        }
        finally
        {
            node.Dispose();
        }
    }

    /// <summary>The interval's ok/s or failed/s on a live line, -1 on another line.</summary>
    private static double Rate(string line, string what)
    {
        Match m = LiveRate().Match(line);
        return !m.Success ? -1 : double.Parse((what == "ok" ? m.Groups["ok"] : m.Groups["failed"]).Value.Replace(",", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"(?<ok>[0-9][0-9,.]*)/s ok\s+(?<failed>[0-9][0-9,.]*)/s failed")]
    private static partial Regex LiveRate();
}
