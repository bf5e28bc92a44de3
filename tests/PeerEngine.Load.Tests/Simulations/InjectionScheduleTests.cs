using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Tests.Simulations;

public sealed class InjectionScheduleTests
{
    [Fact]
    public void Inject_spaces_calls_evenly_at_the_rate()
    {
        var plan = SimulationPlan.Create([Simulation.Inject(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3))]);
        double[] starts = Drain(plan);

        Assert.Equal(300, starts.Length);
        Assert.Equal(300, plan.ScheduledCalls);
        for (int i = 0; i < starts.Length; i++)
        {
            Assert.Equal(i * 0.01, starts[i], 9);
        }
    }

    [Fact]
    public void Inject_rate_is_per_interval()
    {
        var plan = SimulationPlan.Create([Simulation.Inject(5, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2))]);

        Assert.Equal(50, plan.RateAt(TimeSpan.FromSeconds(1)), 9);
        Assert.Equal(100, Drain(plan).Length);
    }

    [Fact]
    public void Ramping_inject_rises_linearly_from_the_previous_rate()
    {
        var plan = SimulationPlan.Create([Simulation.RampingInject(200, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2))]);
        double[] starts = Drain(plan);

        // ∫ 100·t dt over 2 s = 200 calls; the first second holds a quarter of them.
        Assert.Equal(200, starts.Length);
        Assert.Equal(50, starts.Count(s => s < 1));
        Assert.Equal(100, plan.RateAt(TimeSpan.FromSeconds(1)), 9);
        double[] gaps = [.. starts.Zip(starts.Skip(1), (a, b) => b - a)];
        Assert.True(gaps.Zip(gaps.Skip(1)).All(pair => pair.Second <= pair.First + 1e-12), "gaps shrink as the rate rises");
    }

    [Fact]
    public void Phases_chain_and_a_pause_starts_nothing()
    {
        var plan = SimulationPlan.Create(
        [
            Simulation.Inject(10, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)),
            Simulation.Pause(TimeSpan.FromSeconds(2)),
            Simulation.Inject(20, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)),
        ]);
        double[] starts = Drain(plan);

        Assert.Equal(30, starts.Length);
        Assert.Equal(10, starts.Count(s => s < 1));
        Assert.DoesNotContain(starts, s => s is >= 1 and < 3);
        Assert.Equal(20, starts.Count(s => s >= 3));
        Assert.Equal(TimeSpan.FromSeconds(4), plan.Duration);
    }

    [Fact]
    public void Ramp_down_after_inject_ends_near_zero()
    {
        var plan = SimulationPlan.Create(
        [
            Simulation.Inject(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)),
            Simulation.RampingInject(0, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)),
        ]);

        Assert.Equal(200, Drain(plan).Length);
        Assert.Equal(50, plan.RateAt(TimeSpan.FromSeconds(2)), 9);
    }

    [Fact]
    public void Count_before_agrees_with_the_schedule()
    {
        var plan = SimulationPlan.Create(
        [
            Simulation.RampingInject(1000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)),
            Simulation.Inject(1000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)),
        ]);
        double[] starts = Drain(plan);

        foreach (double at in new[] { 0.25, 0.5, 1.0, 1.5, 2.0 })
        {
            Assert.Equal(starts.Count(s => s < at), InjectionSchedule.CountBefore(plan, TimeSpan.FromSeconds(at)));
        }
    }

    private static double[] Drain(SimulationPlan plan)
    {
        var schedule = new InjectionSchedule(plan);
        var starts = new List<double>();
        while (schedule.TryNext(out double offset))
        {
            starts.Add(offset);
        }

        return [.. starts];
    }
}
