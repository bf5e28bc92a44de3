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
        // The run is planned long and stopped once every copy has made a few calls: on a busy
        // machine copies may start late, and the test waits for them rather than for a clock.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        int inFlight = 0;
        int peak = 0;
        var callsPerCopy = new int[8];
        ScenarioProps scenario = Scenario.Create("copies", async ctx =>
        {
            int now = Interlocked.Increment(ref inFlight);
            lock (callsPerCopy)
            {
                peak = Math.Max(peak, now);
            }

            if (Interlocked.Increment(ref callsPerCopy[ctx.CopyNumber]) >= 20 && callsPerCopy.Take(3).All(c => c >= 20))
            {
                await stop.CancelAsync();
            }

            await Task.Yield();
            Interlocked.Decrement(ref inFlight);
            return Response.Ok();
        });
        var plan = SimulationPlan.Create([Simulation.KeepConstant(3, TimeSpan.FromMinutes(5))]);

        using var recorder = new ScenarioRecorder(TimeProvider.System.TimestampFrequency, DateTimeOffset.UtcNow);
        var driver = new ClosedModelDriver(plan, new CallInvoker(scenario, recorder, TimeProvider.System, stop.Token), TimeProvider.System);
        await driver.RunAsync(TimeProvider.System.GetTimestamp(), stop.Token).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.InRange(peak, 1, 3);
        Assert.All(callsPerCopy.Take(3), c => Assert.True(c >= 20));
        Assert.All(callsPerCopy.Skip(3), c => Assert.Equal(0, c));
        Assert.Equal(3, driver.PeakCopies);
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
