namespace PeerEngine.Load.Simulations;

/// <summary>
/// The intended start time of every call of an open plan. Call k (from 0) is due when the integral
/// of the planned rate reaches k, so starts are evenly spaced at a constant rate, spread smoothly
/// along a ramp, and never bunched at interval boundaries (k6's spacing, not NBomber's random delay
/// per interval). Latency is measured from these times, which is what keeps a stalled target from
/// hiding (coordinated omission).
/// </summary>
internal sealed class InjectionSchedule
{
    private readonly IReadOnlyList<RatePiece> _segments;
    private int _segment;
    private long _next;

    public InjectionSchedule(SimulationPlan plan)
    {
        if (plan.Model != LoadModel.Open)
        {
            throw new ArgumentException("Only open plans have an injection schedule.", nameof(plan));
        }

        _segments = plan.RatePieces;
    }

    /// <summary>Offset from the run's start of the next call, in seconds; false when the plan is done.</summary>
    public bool TryNext(out double offsetSeconds)
    {
        while (_segment < _segments.Count)
        {
            RatePiece s = _segments[_segment];
            double m = _next - s.CallsBefore;
            if (m < s.Calls)
            {
                _next++;
                offsetSeconds = s.Start + s.TimeFor(m);
                return true;
            }

            _segment++;
        }

        offsetSeconds = 0;
        return false;
    }

    /// <summary>How many calls the plan starts before <paramref name="offset"/>.</summary>
    public static long CountBefore(SimulationPlan plan, TimeSpan offset)
    {
        double t = offset.TotalSeconds;
        double calls = 0;
        foreach (RatePiece s in plan.RatePieces)
        {
            if (t <= s.Start)
            {
                break;
            }

            calls = s.CallsBefore + s.CallsUntil(Math.Min(t - s.Start, s.Length));
        }

        // Call k is due at N(t) = k for k = 0, 1, …, so the calls before t number ⌈N(t)⌉.
        return (long)Math.Ceiling(calls - 1e-9);
    }
}
