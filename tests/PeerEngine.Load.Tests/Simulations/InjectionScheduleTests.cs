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

    [Fact]
    public void Inject_random_holds_a_drawn_rate_per_interval_and_repeats_with_its_seed()
    {
        var plan = SimulationPlan.Create([Simulation.InjectRandom(100, 500, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10))]);
        double[] starts = Drain(plan);

        int[] perSecond = [.. Enumerable.Range(0, 10).Select(k => starts.Count(s => s >= k && s < k + 1))];
        for (int k = 0; k < 10; k++)
        {
            double rate = plan.RateAt(TimeSpan.FromSeconds(k + 0.5));
            Assert.InRange(rate, 100, 500);
            Assert.Equal(rate, plan.RateAt(TimeSpan.FromSeconds(k + 0.01)), 9);
            Assert.InRange(perSecond[k], rate - 1, rate + 1);
        }

        Assert.True(perSecond.Distinct().Count() > 5, string.Join(", ", perSecond));
        Assert.Equal(starts.Length, plan.ScheduledCalls);
        Assert.Equal(starts, Drain(SimulationPlan.Create([Simulation.InjectRandom(100, 500, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10))])));
        Assert.NotEqual(starts, Drain(SimulationPlan.Create([Simulation.InjectRandom(100, 500, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10), seed: 2)])));
    }

    [Fact]
    public void Inject_random_shares_draw_alike_and_add_up_to_the_whole()
    {
        var whole = (InjectRandom)Simulation.InjectRandom(100, 500, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(3));
        var half = (InjectRandom)whole.Share(1, 2);

        Assert.All(Enumerable.Range(0, 30), k => Assert.Equal(whole.RatePerSecondAt(k), 2 * half.RatePerSecondAt(k), 9));
    }

    [Fact]
    public void Iterations_for_inject_starts_exactly_its_count_at_the_rate()
    {
        var plan = SimulationPlan.Create([Simulation.IterationsForInject(30, TimeSpan.FromMilliseconds(100), 1000)]);
        double[] starts = Drain(plan);

        Assert.Equal(1000, starts.Length);
        Assert.Equal(1000, plan.ScheduledCalls);
        Assert.Equal(300, plan.RateAt(TimeSpan.FromSeconds(1)), 9);
        for (int i = 0; i < starts.Length; i++)
        {
            Assert.Equal(i / 300.0, starts[i], 9);
        }

        Assert.Equal(1000 / 300.0, plan.Duration.TotalSeconds, 6);
        ArgumentException alone = Assert.Throws<ArgumentException>(() =>
            SimulationPlan.Create([Simulation.IterationsForInject(30, TimeSpan.FromSeconds(1), 10), Simulation.Pause(TimeSpan.FromSeconds(1))]));
        Assert.Contains("iterations-for-inject cannot be chained", alone.Message, StringComparison.Ordinal);
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
