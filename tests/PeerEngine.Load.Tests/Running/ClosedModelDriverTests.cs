using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;
using PeerEngine.Load.Scenarios;
using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Tests.Running;

public sealed class ClosedModelDriverTests
{
    [Fact]
    public async Task Keep_constant_runs_exactly_that_many_copies()
    {
        int inFlight = 0;
        int peak = 0;
        var copies = new HashSet<int>();
        ScenarioProps scenario = Scenario.Create("copies", async ctx =>
        {
            int now = Interlocked.Increment(ref inFlight);
            lock (copies)
            {
                peak = Math.Max(peak, now);
                copies.Add(ctx.CopyNumber);
            }

            await Task.Yield();
            Interlocked.Decrement(ref inFlight);
            return Response.Ok();
        });
        var plan = SimulationPlan.Create([Simulation.KeepConstant(3, TimeSpan.FromMilliseconds(300))]);

        using var recorder = new ScenarioRecorder(TimeProvider.System.TimestampFrequency, DateTimeOffset.UtcNow);
        var driver = new ClosedModelDriver(plan, new CallInvoker(scenario, recorder, TimeProvider.System, default), TimeProvider.System);
        await driver.RunAsync(TimeProvider.System.GetTimestamp(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(3, peak);
        Assert.Equal([0, 1, 2], copies.Order());
        Assert.True(recorder.Completed > 3);
    }

    [Fact]
    public async Task Iterations_for_constant_makes_exactly_that_many_calls()
    {
        ScenarioProps scenario = Scenario.Create("count", async _ =>
        {
            await Task.Yield();
            return Response.Ok();
        });
        var plan = SimulationPlan.Create([Simulation.IterationsForConstant(4, 1000)]);

        using var recorder = new ScenarioRecorder(TimeProvider.System.TimestampFrequency, DateTimeOffset.UtcNow);
        var driver = new ClosedModelDriver(plan, new CallInvoker(scenario, recorder, TimeProvider.System, default), TimeProvider.System);
        await driver.RunAsync(TimeProvider.System.GetTimestamp(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1000, recorder.Completed);
        Assert.Equal(4, driver.PeakCopies);
    }
}
