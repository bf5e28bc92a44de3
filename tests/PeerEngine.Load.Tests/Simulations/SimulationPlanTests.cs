using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Tests.Simulations;

public sealed class SimulationPlanTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void A_ramp_plans_what_falls_due_in_each_interval_not_its_rate_at_the_end()
    {
        // 0 to 1,000/s over 1 s, then 1 s at 1,000/s: 500 t² calls are due by t during the ramp.
        SimulationPlan plan = SimulationPlan.Create([Simulation.RampingInject(1000, Second, Second), Simulation.Inject(1000, Second, Second)]);

        Assert.Equal(250, plan.PlannedRate(0, 0.5), 6);
        Assert.Equal(750, plan.PlannedRate(0.5, 1), 6);
        Assert.Equal(1000, plan.PlannedRate(1, 1.5), 6);
        Assert.Equal(0, plan.PlannedRate(2, 2.5), 6);

        // Half the interval past the plan's end: the 500 calls due in its first half, over the whole second.
        Assert.Equal(500, plan.PlannedRate(1.5, 2.5), 6);

        double[] ends = [0.5, 1, 1.5, 2, 2.5];
        double sum = ends.Select((end, k) => plan.PlannedRate(end - 0.5, end) * 0.5).Sum();
        Assert.Equal(1500, plan.ScheduledCalls);
        Assert.Equal(plan.ScheduledCalls, sum, 6);
    }

    [Fact]
    public void Open_and_closed_simulations_do_not_mix()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() =>
            SimulationPlan.Create([Simulation.Inject(10, Second, Second), Simulation.KeepConstant(2, Second)]));
        Assert.Contains("cannot be mixed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Iterations_for_constant_stands_alone()
    {
        Assert.Throws<ArgumentException>(() =>
            SimulationPlan.Create([Simulation.IterationsForConstant(2, 10), Simulation.Pause(Second)]));
    }

    [Fact]
    public void Pause_fits_either_model_but_not_alone()
    {
        Assert.Equal(LoadModel.Closed, SimulationPlan.Create([Simulation.Pause(Second), Simulation.KeepConstant(1, Second)]).Model);
        Assert.Equal(LoadModel.Open, SimulationPlan.Create([Simulation.Pause(Second), Simulation.Inject(1, Second, Second)]).Model);
        Assert.Throws<ArgumentException>(() => SimulationPlan.Create([Simulation.Pause(Second)]));
    }

    [Fact]
    public void Copies_follow_keep_constant_and_ramps()
    {
        var plan = SimulationPlan.Create(
        [
            Simulation.RampingConstant(10, TimeSpan.FromSeconds(10)),
            Simulation.KeepConstant(10, TimeSpan.FromSeconds(5)),
            Simulation.Pause(TimeSpan.FromSeconds(1)),
            Simulation.RampingConstant(4, TimeSpan.FromSeconds(2)),
        ]);

        Assert.Equal(0, plan.CopiesAt(TimeSpan.Zero));
        Assert.Equal(5, plan.CopiesAt(TimeSpan.FromSeconds(5)));
        Assert.Equal(10, plan.CopiesAt(TimeSpan.FromSeconds(12)));
        Assert.Equal(0, plan.CopiesAt(TimeSpan.FromSeconds(15.5)));
        Assert.Equal(2, plan.CopiesAt(TimeSpan.FromSeconds(17)));
        Assert.Equal(0, plan.CopiesAt(TimeSpan.FromSeconds(18)));
        Assert.Equal(10, plan.MaxCopies);
    }

    [Fact]
    public void Truncating_a_ramp_keeps_its_slope()
    {
        var plan = SimulationPlan.Create([Simulation.RampingInject(100, Second, TimeSpan.FromSeconds(10))]);
        SimulationPlan warmUp = plan.Truncate(TimeSpan.FromSeconds(2));

        Assert.Equal(TimeSpan.FromSeconds(2), warmUp.Duration);
        Assert.Equal(plan.RateAt(TimeSpan.FromSeconds(1)), warmUp.RateAt(TimeSpan.FromSeconds(1)), 3);
    }

    [Fact]
    public void Warm_up_of_an_iteration_plan_keeps_its_copies()
    {
        SimulationPlan warmUp = SimulationPlan.Create([Simulation.IterationsForConstant(3, 1000)]).Truncate(Second);

        Assert.Equal(3, warmUp.CopiesAt(TimeSpan.FromMilliseconds(500)));
        Assert.Equal(Second, warmUp.Duration);
    }
}
