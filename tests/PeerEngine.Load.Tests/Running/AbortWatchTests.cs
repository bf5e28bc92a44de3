using Microsoft.Extensions.Time.Testing;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;
using PeerEngine.Load.Scenarios;
using PeerEngine.Load.Simulations;
using PeerEngine.Load.Tests.Support;

namespace PeerEngine.Load.Tests.Running;

public sealed class AbortWatchTests
{
    [Fact]
    public void Rules_read_the_counts_so_far_and_the_last_interval()
    {
        IntervalStats[] intervals =
        [
            new() { EndSeconds = 1, Ok = 90, Fail = 10, P99 = 900, Rps = 100, OkRps = 90 },
            new() { EndSeconds = 2, Ok = 40, Fail = 60, P99 = 2_000, Rps = 100, OkRps = 40 },
        ];

        Assert.Null(Fired("errors>50%", "echo", intervals[..1]));
        Assert.Null(Fired("errors>50%", "echo", intervals));
        Assert.Equal("errors>=35% on echo (35%) at 2 s", Fired("errors>=35%", "echo", intervals));
        Assert.Equal("fail-count>=70 on echo (70) at 2 s", Fired("fail-count>=70", "echo", intervals));
        Assert.Equal("p99>1ms on echo (2.00 ms) at 2 s", Fired("p99>1ms", "echo", intervals));
        Assert.Null(Fired("churn:p99>1ms", "echo", intervals));

        // rps is the last interval's successful calls per second: 40, though 100 calls completed.
        Assert.Equal("rps<50 on echo (40) at 2 s", Fired("rps<50", "echo", intervals));
        Assert.Null(Fired("rps<40", "echo", intervals));
    }

    [Fact]
    public void Only_metrics_known_while_running_make_rules()
    {
        FormatException error = Assert.Throws<FormatException>(() => AbortWatch.Parse("p99.9>1ms"));
        Assert.Contains("only errors, fail-count, dropped, rps, p50, p90, p99 and max", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rule_that_fires_stops_an_open_run_early_and_marks_it_aborted()
    {
        // On a fake clock, so the moment the rule fires is the schedule's, not the machine's: 200 calls/s
        // (one every 5 ms from 0) and 102 ms intervals. Calls 0 to 100 ms (21 of them) are all made
        // before the first interval ends; the next is due at 105 ms, after the rule has fired at 102 ms.
        var time = new FakeTimeProvider();
        int calls = 0;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstInterval = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<LoadResult> run = LoadRunner.RegisterScenarios(
                Scenario.Create("broken", _ =>
                    {
                        int made = Interlocked.Increment(ref calls);
                        if (made == 1)
                        {
                            started.TrySetResult();
                        }

                        if (made == 21)
                        {
                            firstInterval.TrySetResult();
                        }

                        return ValueTask.FromResult(Response.Fail("E1", "no"));
                    })
                    .WithLoadSimulations(Simulation.Inject(200, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20)))
                    .WithoutWarmUp())
            .WithTimeProvider(time)
            .WithReportingInterval(TimeSpan.FromMilliseconds(102))
            .WithAbortRules(AbortWatch.Parse("errors>50%"))
            .RunAsync();

        // The run starts on its own: its clock must read 0 when it does (the call due at 0 is made),
        // or a busy machine lets the advance come first and the schedule begins at 100 ms.
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        FakeClock.AdvanceInline(time, TimeSpan.FromMilliseconds(100));
        await firstInterval.Task.WaitAsync(TimeSpan.FromSeconds(10));
        FakeClock.AdvanceInline(time, TimeSpan.FromMilliseconds(2));
        LoadResult result = await run.WaitAsync(TimeSpan.FromSeconds(10));

        ScenarioResult broken = result.Scenario("broken");
        Assert.Equal("errors>50% on broken (100%) at 0.1 s", result.Aborted);
        Assert.False(result.Passed);
        Assert.Equal(21, broken.Fail);
        Assert.Equal(0, broken.Ok);
        Assert.Equal(21, Volatile.Read(ref calls));

        // Only what came due before the stop was scheduled, not the whole 20 s plan's 4,000 calls.
        Assert.Equal(21, broken.Scheduled);
        Assert.True(result.Health.Valid, string.Join("; ", result.Health.Problems));
    }

    [Fact]
    public async Task A_rule_that_fires_stops_a_closed_run_early()
    {
        LoadResult result = await LoadRunner.RegisterScenarios(
                Scenario.Create("broken", _ => ValueTask.FromException<Response>(new TimeoutException("slow")))
                    .WithLoadSimulations(Simulation.KeepConstant(2, TimeSpan.FromSeconds(20)))
                    .WithoutWarmUp())
            .WithReportingInterval(TimeSpan.FromMilliseconds(100))
            .WithAbortRules(AbortWatch.Parse("fail-count>=10"))
            .RunAsync()
            .WaitAsync(TimeSpan.FromSeconds(15));

        Assert.StartsWith("fail-count>=10 on broken", result.Aborted, StringComparison.Ordinal);
        Assert.True(result.Run.DurationSeconds < 10, $"ran {result.Run.DurationSeconds} s");
    }

    private static string? Fired(string rule, string scenario, IReadOnlyList<IntervalStats> intervals)
    {
        using var watch = new AbortWatch([AbortWatch.Parse(rule)], CancellationToken.None);
        watch.Check(scenario, intervals);
        Assert.Equal(watch.Reason is not null, watch.Token.IsCancellationRequested);
        return watch.Reason;
    }
}
