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
}
