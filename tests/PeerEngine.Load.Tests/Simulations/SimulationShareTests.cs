using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Tests.Simulations;

public sealed class SimulationShareTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void Open_phases_divide_the_rate_and_the_schedules_add_up()
    {
        LoadSimulation[] whole = [Simulation.RampingInject(900, Second, 2 * Second), Simulation.Inject(900, Second, 2 * Second)];
        long total = SimulationPlan.Create(whole).ScheduledCalls;

        long[] parts = [.. Enumerable.Range(0, 3).Select(i => SimulationPlan.Create([.. whole.Select(p => p.Share(i, 3))]).ScheduledCalls)];

        Assert.Equal(2700, total);
        Assert.All(parts, p => Assert.Equal(900, p));
        Assert.Equal(300, SimulationPlan.Create([.. whole.Select(p => p.Share(1, 3))]).RateAt(3 * Second), 9);
    }

    [Fact]
    public void Closed_phases_split_copies_and_iterations_with_the_remainder_first()
    {
        Assert.Equal([3, 2], Enumerable.Range(0, 2).Select(i => ((KeepConstant)Simulation.KeepConstant(5, Second).Share(i, 2)).Copies));
        Assert.Equal([1, 1, 0], Enumerable.Range(0, 3).Select(i => ((RampingConstant)Simulation.RampingConstant(2, Second).Share(i, 3)).Copies));

        IterationsForConstant[] shares = [.. Enumerable.Range(0, 3).Select(i => (IterationsForConstant)Simulation.IterationsForConstant(4, 1000).Share(i, 3))];
        Assert.Equal(4, shares.Sum(s => s.Copies));
        Assert.Equal(1000, shares.Sum(s => s.Iterations));
        Assert.Equal(Simulation.Pause(Second), Simulation.Pause(Second).Share(1, 2));
    }

    [Fact]
    public void Too_few_copies_for_the_workers_is_refused()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => Simulation.KeepConstant(2, Second).Share(2, 3));
        Assert.Contains("cannot be shared among 3 workers", error.Message, StringComparison.Ordinal);
    }
}
