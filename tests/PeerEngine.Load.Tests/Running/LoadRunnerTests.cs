using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;
using PeerEngine.Load.Scenarios;
using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Tests.Running;

public sealed class LoadRunnerTests
{
    [Fact]
    public async Task Runs_scenarios_side_by_side_and_counts_errors_by_code_and_type()
    {
        long calls = 0;
        long warmUpCalls = 0;
        string stage = string.Empty;
        ScenarioProps fine = Scenario.Create("fine", _ => ValueTask.FromResult(Response.Ok(100)))
            .WithLoadSimulations(Simulation.Inject(400, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500)))
            .WithoutWarmUp();
        ScenarioProps flaky = Scenario.Create("flaky", ctx =>
            {
                Interlocked.Increment(ref calls);
                if (Volatile.Read(ref stage) == "warm-up")
                {
                    Interlocked.Increment(ref warmUpCalls);
                }

                long kind = ctx.InvocationNumber % 4;
                if (kind == 1)
                {
                    return ValueTask.FromException<Response>(new TimeoutException("slow"));
                }

                return ValueTask.FromResult(kind == 0 ? Response.Fail("E42", "refused") : Response.Ok());
            })
            // A count, not a duration: a closed scenario bound by time makes as many calls as its copies
            // get CPU for, and on a starved machine (the whole suite in parallel on two cores) its copies
            // were first scheduled after its 300 ms had passed, so it made none and counted no errors.
            .WithLoadSimulations(Simulation.IterationsForConstant(2, 400))
            .WithWarmUpDuration(TimeSpan.FromMilliseconds(100))
            .WithThresholds(Threshold.Parse("errors<1%"));

        var stages = new List<string>();
        LoadResult result = await LoadRunner.RegisterScenarios(fine, flaky)
            .WithReportingInterval(TimeSpan.FromMilliseconds(100))
            .WithObservers(
                next =>
                {
                    Volatile.Write(ref stage, next);
                    stages.Add(next);
                },
                null)
            .RunAsync()
            .WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["warm-up", "run", "clean"], stages);
        ScenarioResult a = result.Scenario("fine");
        Assert.Equal(200, a.Scheduled);
        Assert.Equal(200, a.Ok);
        Assert.Equal(20_000, a.Bytes);
        Assert.Equal("open", a.Model);
        Assert.NotEmpty(a.Intervals);
        Assert.Equal(200, a.Intervals.Sum(i => i.Ok));

        ScenarioResult b = result.Scenario("flaky");
        Assert.Equal("closed", b.Model);
        // 400 consecutive invocation numbers: exactly a quarter of each kind, whatever the first one was.
        Assert.Equal(200, b.Ok);
        Assert.Equal(200, b.Fail);
        Assert.Equal(b.Fail, b.ErrorsByCode.Values.Sum());
        Assert.Equal(100, b.ErrorsByCode["E42"]);
        Assert.Equal(100, b.ErrorsByCode["TimeoutException"]);
        Assert.Equal(b.ErrorsByCode["TimeoutException"], b.ErrorsByType["System.TimeoutException"]);
        Assert.Contains(b.Notes, n => n.Contains("coordinated omission", StringComparison.Ordinal));

        // The warm-up called the step too, but none of it is in the result. (On a starved machine the
        // warm-up may make no call at all; then this run has nothing to prove here.)
        Assert.True(b.Ok + b.Fail <= Interlocked.Read(ref calls) - Interlocked.Read(ref warmUpCalls));

        ThresholdResult broken = Assert.Single(result.Thresholds);
        Assert.False(broken.Passed);
        Assert.False(result.Passed);
        Assert.True(result.Health.Valid);
    }

    [Fact]
    public async Task A_run_that_drops_calls_is_marked_invalid()
    {
        // One call at a time; the first stalls 50 ms, so the calls due 5 ms, 10 ms, … after it are
        // over the 20 ms start-lag limit by the time a slot frees, and are dropped.
        int calls = 0;
        ScenarioProps stuck = Scenario.Create("stuck", async _ =>
            {
                if (Interlocked.Increment(ref calls) == 1)
                {
                    await Task.Delay(50);
                }

                return Response.Ok();
            })
            .WithLoadSimulations(Simulation.Inject(200, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200)))
            .WithoutWarmUp()
            .WithMaxConcurrency(1)
            .WithMaxStartLag(TimeSpan.FromMilliseconds(20));

        LoadResult result = await LoadRunner.RegisterScenarios(stuck).RunAsync().WaitAsync(TimeSpan.FromSeconds(30));

        ScenarioResult s = result.Scenario("stuck");
        Assert.True(s.Dropped > 0);
        Assert.Equal(40, s.Ok + s.Dropped);
        Assert.False(result.Health.Valid);
        Assert.Contains(result.Health.Problems, p => p.Contains("dropped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Planned_per_interval_adds_up_to_the_calls_scheduled_during_a_ramp()
    {
        // A ramp from 0 to 2,000/s over 1 s: the rate at an interval's end runs ahead of what came due
        // in it (10 calls in the first 100 ms, not 200/s × 0.1 s), so summing it overstates the calls scheduled.
        ScenarioProps ramp = Scenario.Create("ramp", _ => ValueTask.FromResult(Response.Ok()))
            .WithLoadSimulations(Simulation.RampingInject(2000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)))
            .WithoutWarmUp();

        LoadResult result = await LoadRunner.RegisterScenarios(ramp)
            .WithReportingInterval(TimeSpan.FromMilliseconds(100))
            .RunAsync()
            .WaitAsync(TimeSpan.FromSeconds(30));

        ScenarioResult s = result.Scenario("ramp");
        Assert.Equal(1000, s.Scheduled);
        Assert.True(s.Intervals.Count >= 2, $"{s.Intervals.Count} intervals");

        // Planned rates are rounded to 0.001/s: well under a call over a dozen intervals.
        double planned = s.Intervals.Sum(i => i.Planned * i.Seconds);
        Assert.True(Math.Abs(planned - s.Scheduled) < 0.5, $"planned sums to {planned} calls, {s.Scheduled} scheduled");

        // The first interval: the calls due before its end (N(t) = 1,000 t², counted as the schedule does;
        // its end is shown rounded to 1 µs, which can move a call due on that very µs across it).
        IntervalStats first = s.Intervals[0];
        double due = Math.Ceiling((1000 * first.EndSeconds * first.EndSeconds) - 1e-9);
        Assert.True(Math.Abs(due - (first.Planned * first.Seconds)) < 1.01, $"{first.Planned}/s over {first.Seconds} s, {due} due");
    }
}
