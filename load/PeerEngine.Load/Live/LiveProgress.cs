using PeerEngine.Load.Measurement;
using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Live;

/// <summary>
/// Where each scenario stands, fed one interval at a time (from several scenarios' samplers at
/// once): the phase it is in and how far, its rate against the plan, the last interval's p99 and
/// its counts so far. The live views render its rows.
/// </summary>
internal sealed class LiveProgress
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SimulationPlan> _plans;
    private readonly Dictionary<string, LiveRow> _rows;

    public LiveProgress(IReadOnlyList<(string Scenario, SimulationPlan Plan)> scenarios)
    {
        _plans = scenarios.ToDictionary(s => s.Scenario, s => s.Plan, StringComparer.Ordinal);
        _rows = scenarios.ToDictionary(s => s.Scenario, s => Row(s.Scenario, s.Plan, 0, new IntervalStats(), null), StringComparer.Ordinal);
        Order = [.. scenarios.Select(s => s.Scenario)];
    }

    /// <summary>The scenarios in the order they were registered.</summary>
    public IReadOnlyList<string> Order { get; }

    public IReadOnlyList<LiveRow> Rows
    {
        get
        {
            lock (_gate)
            {
                return [.. Order.Select(s => _rows[s])];
            }
        }
    }

    /// <summary>Adds the interval that just closed and returns the scenario's new row.</summary>
    public LiveRow Update(string scenario, IntervalStats interval)
    {
        lock (_gate)
        {
            LiveRow row = Row(scenario, _plans[scenario], interval.EndSeconds, interval, _rows[scenario]);
            _rows[scenario] = row;
            return row;
        }
    }

    private static LiveRow Row(string scenario, SimulationPlan plan, double seconds, IntervalStats interval, LiveRow? before)
    {
        long ok = (before?.Ok ?? 0) + interval.Ok;
        long fail = (before?.Fail ?? 0) + interval.Fail;
        (int index, double phaseProgress) = plan.PhaseAt(TimeSpan.FromSeconds(seconds));
        double progress = plan.Duration > TimeSpan.Zero ? Math.Min(1, seconds / plan.Duration.TotalSeconds) : phaseProgress;
        if (plan.Phases is [IterationsForConstant iterations])
        {
            // It ends by count, not by time.
            progress = phaseProgress = Math.Min(1, (ok + fail) / (double)iterations.Iterations);
        }

        LoadSimulation phase = plan.Phases[index];
        return new LiveRow(
            scenario,
            seconds,
            phase.ToString()!.Split(' ')[0],
            index + 1,
            plan.Phases.Count,
            phaseProgress,
            progress,
            plan.Model == LoadModel.Open,
            interval.OkRps,
            interval.FailRps,
            interval.Planned,
            // An interval of failures only has no successful call to take a percentile of.
            interval.Ok > 0 ? interval.P99 : null,
            ok,
            fail,
            (before?.Dropped ?? 0) + interval.Dropped);
    }
}
