using System.Net;
using System.Net.Sockets;
using PeerEngine.Load.Cli;
using PeerEngine.Load.Reports;
using PeerEngine.Load.Running;
using PeerEngine.Load.Targets;
using PeerEngine.Load.Tests.Support;

namespace PeerEngine.Load.Tests.Cli;

public sealed class LoadCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "peerengine-load-tests", Guid.NewGuid().ToString("N"));
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();

    public void Dispose()
    {
        _out.Dispose();
        _error.Dispose();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Help_lists_the_options_and_exits_0()
    {
        Assert.Equal(0, await RunAsync("--help"));
        foreach (string option in new[] { "--target", "--scenario", "--simulation", "--payload", "--connections", "--duration", "--report-folder", "--report-format", "--threshold", "--find-max" })
        {
            Assert.Contains(option, _out.ToString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("not a simulation", "--simulation", "storm:rate=5")]
    [InlineData("cannot be mixed", "--simulation", "inject:rate=5,during=1s", "--simulation", "keep-constant:copies=1,during=1s")]
    [InlineData("is not tcp://host:port", "--target", "http://example")]
    [InlineData("is not one of", "--scenario", "stampede")]
    [InlineData("unknown metric", "--threshold", "speed>9")]
    [InlineData("is not md, csv", "--report-format", "pdf")]
    [InlineData("not a duration", "--duration", "forever")]
    [InlineData("--wat", "--wat")]
    [InlineData("cannot be shared among 3 workers", "--workers", "3", "--simulation", "keep-constant:copies=2,during=1s")]
    [InlineData("does not combine with --workers", "--workers", "2", "--find-max", "p99<1ms")]
    [InlineData("while running only errors", "--abort-when", "mean>1ms")]
    [InlineData("--reconnect-backoff must be longer than 0", "--reconnect-backoff", "0s")]
    [InlineData("--reconnect-backoff: 'soon' is not a duration", "--reconnect-backoff", "soon")]
    [InlineData("--max-reconnect-backoff (100 ms) must be at least --reconnect-backoff (500 ms)", "--reconnect-backoff", "500ms", "--max-reconnect-backoff", "100ms")]
    [InlineData("--metrics-port 70000 is not a port", "--metrics-port", "70000")]
    [InlineData("--metrics-port serves this process's calls; it does not combine with --workers", "--metrics-port", "9464", "--workers", "2")]
    public async Task A_mistake_is_one_line_and_exit_1(string reason, params string[] args)
    {
        Assert.Equal(ExitCodes.Error, await RunAsync(args));

        string error = _error.ToString().TrimEnd();
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_target_is_one_line_and_exit_1()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int closedPort = ((IPEndPoint)socket.LocalEndPoint!).Port;

        Assert.Equal(ExitCodes.Error, await RunAsync("--target", $"tcp://127.0.0.1:{closedPort}", "--duration", "1s", "-q"));
        Assert.StartsWith($"error: tcp://127.0.0.1:{closedPort}: ", _error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain('\n', _error.ToString().TrimEnd());
    }

    [Fact]
    public async Task With_no_target_an_embedded_pair_is_loaded_and_every_report_written()
    {
        int exit = await RunAsync("--rate", "400", "--duration", "2s", "--warm-up", "500ms", "--report-folder", _folder, "--threshold", "errors<1%");

        Assert.Equal(0, exit);
        Assert.Contains("embedded PeerEngine echo", _out.ToString(), StringComparison.Ordinal);

        // Not a terminal: the live view falls back to a line per interval.
        Assert.Matches(@"\[\s+1\.0s\s+\d+%\] echo\s+2/2 inject", _out.ToString());
        string run = Assert.Single(Directory.GetDirectories(_folder));
        Assert.Equal(
            ["echo.hlog", "intervals.csv", "report.html", "report.json", "report.md", "summary.csv"],
            Directory.GetFiles(run).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        LoadResult result = JsonReport.Read(await File.ReadAllTextAsync(Path.Combine(run, "report.json")));
        var echo = result.Scenario("echo");
        Assert.Equal(0, echo.Fail);
        Assert.True(echo.Ok > 0);
        Assert.Equal(128 * echo.Ok, echo.Bytes);
        Assert.True(result.Passed);
    }

    [Fact]
    public async Task A_broken_threshold_exits_2()
    {
        int exit = await RunAsync("--target", "noop", "--rate", "200", "--duration", "500ms", "--warm-up", "0s", "--report-format", "none", "-q", "--threshold", "rps>1000000");

        Assert.Equal(ExitCodes.ThresholdFailed, exit);
        Assert.Contains("FAIL rps>1000000", _out.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_abort_rule_stops_the_run_marks_every_report_and_exits_2()
    {
        int exit = await RunAsync(
            "--target", "noop", "--rate", "200", "--duration", "30s", "--warm-up", "0s", "--timing", "sleep", "--interval", "200ms",
            "--abort-when", "rps>0", "--report-folder", _folder, "-q");

        Assert.Equal(ExitCodes.ThresholdFailed, exit);
        Assert.Contains("ABORTED: rps>0 on noop", _out.ToString(), StringComparison.Ordinal);
        string run = Assert.Single(Directory.GetDirectories(_folder));
        LoadResult result = JsonReport.Read(await File.ReadAllTextAsync(Path.Combine(run, "report.json")));
        Assert.StartsWith("rps>0 on noop", result.Aborted, StringComparison.Ordinal);
        Assert.True(result.Run.DurationSeconds < 10, $"ran {result.Run.DurationSeconds} s");
        Assert.Contains("ABORTED: rps>0 on noop", await File.ReadAllTextAsync(Path.Combine(run, "report.md")), StringComparison.Ordinal);
        Assert.Contains("ABORTED: rps&gt;0 on noop", await File.ReadAllTextAsync(Path.Combine(run, "report.html")), StringComparison.Ordinal);
        Assert.StartsWith("rps>0 on noop", CsvReport.Read(await File.ReadAllTextAsync(Path.Combine(run, "summary.csv")))[0]["aborted"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_config_file_sets_what_the_command_line_does_not()
    {
        Directory.CreateDirectory(_folder);
        string config = Path.Combine(_folder, "run.json");
        await File.WriteAllTextAsync(config, """
            {
              // The same names as the options; camelCase works too.
              "target": "noop",
              "simulation": ["inject:rate=200,interval=1s,during=300ms"],
              "warmUp": "0s",
              "timing": "sleep",
              "threshold": ["rps>1000000"],
              "report-format": "none",
              "quiet": true,
            }
            """);

        Assert.Equal(ExitCodes.ThresholdFailed, await RunAsync("--config", config));
        Assert.Contains("FAIL rps>1000000 on noop", _out.ToString(), StringComparison.Ordinal);

        // An option on the command line wins over the file's.
        Assert.Equal(ExitCodes.Passed, await RunAsync("--config", config, "--threshold", "errors<1%"));
        Assert.Contains("pass errors<1% on noop", _out.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"speed\": 5}", "'speed' is not a setting")]
    [InlineData("{\"rate\": \"fast\"}", "fast")]
    [InlineData("[1, 2]", "no JSON object")]
    [InlineData("{\"rate\": ", "--config")]
    public async Task A_bad_config_file_is_one_line_and_exit_1(string json, string reason)
    {
        Directory.CreateDirectory(_folder);
        string config = Path.Combine(_folder, "bad.json");
        await File.WriteAllTextAsync(config, json);

        Assert.Equal(ExitCodes.Error, await RunAsync("--config", config));
        string error = _error.ToString().TrimEnd();
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flood_churn_and_mixed_run_side_by_side_over_a_unix_socket()
    {
        string path = Path.Combine(Path.GetTempPath(), $"pe-load-{Guid.NewGuid():N}.sock");
        await using PeerEngineEchoPeer peer = await PeerEngineEchoPeer.StartAsync(new UnixDomainSocketEndPoint(path));

        int exit = await RunAsync(
            "--target", $"unix:{path}", "--scenario", "flood", "--scenario", "churn", "--scenario", "mixed",
            "--simulation", "keep-constant:copies=2,during=500ms", "--warm-up", "0s", "--report-folder", _folder, "--report-format", "json", "-q");

        Assert.Equal(0, exit);
        LoadResult result = JsonReport.Read(await File.ReadAllTextAsync(Directory.GetFiles(_folder, "report.json", SearchOption.AllDirectories).Single()));
        Assert.All(result.Scenarios, s => Assert.True(s.Ok > 0 && s.Fail == 0, $"{s.Name}: {s.Ok} ok, {s.Fail} failed"));
        Assert.Equal(["flood", "churn", "mixed"], result.Scenarios.Select(s => s.Name));
        Assert.True(peer.MessagesReceived > 0);
    }

    private Task<int> RunAsync(params string[] args) => Command.RunAsync(_out, _error, args);
}
