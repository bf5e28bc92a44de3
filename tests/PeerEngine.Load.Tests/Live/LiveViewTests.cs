using PeerEngine.Load.Live;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Simulations;
using PeerEngine.Load.Tests.Support;
using Spectre.Console;

namespace PeerEngine.Load.Tests.Live;

public sealed class LiveViewTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    // A 2 s ramp then 2 s at 1,000/s: at 3 s the run is 75% done, its second phase half done.
    private static readonly SimulationPlan Plan = SimulationPlan.Create([Simulation.RampingInject(1000, Second, 2 * Second), Simulation.Inject(1000, Second, 2 * Second)]);

    private static readonly IntervalStats AtThreeSeconds = new()
    {
        EndSeconds = 3,
        Seconds = 1,
        Ok = 990,
        Fail = 10,
        Dropped = 2,
        Rps = 1000,
        OkRps = 990,
        FailRps = 10,
        Planned = 1000,
        P99 = 1500,
    };

    [Fact]
    public void Without_a_terminal_each_interval_is_one_line_with_phase_rate_p99_and_counts()
    {
        using var output = new StringWriter();
        var lines = new LiveLines(output, new LiveProgress([("echo", Plan)]));

        lines.Stage("warm-up");
        lines.Interval("echo", AtThreeSeconds with { EndSeconds = 1 });
        lines.Stage("run");
        lines.Interval("echo", AtThreeSeconds with { EndSeconds = 2, Ok = 10, Fail = 0, Dropped = 0, OkRps = 1000, FailRps = 0 });
        lines.Interval("echo", AtThreeSeconds);

        Assert.Equal(
            [
                "warming up (measured, then discarded)…",
                "running…",
                "[   2.0s  50%] echo     2/2 inject 0%                1,000/s ok  0/s failed (plan 1,000/s)  p99   1.50 ms  ok 10  errors 0  dropped 0",
                "[   3.0s  75%] echo     2/2 inject 50%                 990/s ok  10/s failed (plan 1,000/s)  p99   1.50 ms  ok 1,000  errors 10  dropped 2",
            ],
            output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void An_interval_where_every_call_failed_shows_no_p99_not_zero()
    {
        IntervalStats failedOnly = AtThreeSeconds with { Ok = 0, Fail = 1000, Dropped = 0, OkRps = 0, FailRps = 1000, P50 = 0, P90 = 0, P99 = 0, Max = 0 };
        using var output = new StringWriter();
        var lines = new LiveLines(output, new LiveProgress([("echo", Plan)]));
        lines.Stage("run");
        lines.Interval("echo", failedOnly);

        Assert.EndsWith($"p99 {Units.None,9}  ok 0  errors 1,000  dropped 0", output.ToString().TrimEnd(), StringComparison.Ordinal);

        var progress = new LiveProgress([("echo", Plan)]);
        progress.Update("echo", failedOnly);
        string echo = Assert.Single(Render(LiveTable.Build("run", progress.Rows)).Split('\n'), l => l.Contains("echo", StringComparison.Ordinal));
        Assert.Matches(@"│\s+0/s │\s+1,000/s │\s+1,000/s │\s+–\s+│\s+0 │\s+1,000 │\s+0 │", echo);
    }

    [Fact]
    public void The_table_has_a_row_per_scenario_built_from_the_snapshot()
    {
        var progress = new LiveProgress([("echo", Plan), ("churn", SimulationPlan.Create([Simulation.KeepConstant(8, 4 * Second)]))]);
        progress.Update("echo", AtThreeSeconds);

        string text = Render(LiveTable.Build("run", progress.Rows));

        string echo = Assert.Single(text.Split('\n'), l => l.Contains("echo", StringComparison.Ordinal));
        Assert.Matches(@"│ echo\s+│ 2/2 inject 50%\s+│ ━+\s+75% │\s+990/s │\s+10/s │\s+1,000/s │\s+1.50 ms │\s+990 │\s+10 │\s+2 │", echo);
        string churn = Assert.Single(text.Split('\n'), l => l.Contains("churn", StringComparison.Ordinal));
        Assert.Matches(@"│ churn\s+│ 1/1 keep-constant 0%\s+│ ━+\s+0% │\s+0/s │\s+0/s │\s+0 copies │", churn);
        Assert.Contains("PeerEngine load test: running", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_table_view_redraws_while_the_run_goes_and_returns_its_result()
    {
        using var output = new StringWriter();
        IAnsiConsole console = Consoles.Create(output, terminal: true);

        int result = await new LiveTableView(console, new LiveProgress([("echo", Plan)])).ShowAsync((stage, interval) =>
        {
            stage("run");
            interval("echo", AtThreeSeconds);
            return Task.FromResult(42);
        });

        Assert.Equal(42, result);
        Assert.Contains("2/2 inject 50%", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Phase_at_walks_the_plan()
    {
        Assert.Equal((0, 0.5), Plan.PhaseAt(Second));
        Assert.Equal((1, 0.0), Plan.PhaseAt(2 * Second));
        Assert.Equal((1, 1.0), Plan.PhaseAt(9 * Second));
    }

    private static string Render(Table table)
    {
        using var output = new StringWriter();
        IAnsiConsole console = Consoles.Create(output);
        console.Write(table);
        return output.ToString();
    }
}
