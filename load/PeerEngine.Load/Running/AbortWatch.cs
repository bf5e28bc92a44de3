using System.Globalization;
using PeerEngine.Load.Measurement;

namespace PeerEngine.Load.Running;

/// <summary>
/// Stops a run early when one of its abort rules holds (NBomber's runtime thresholds,
/// <c>abortWhenErrorCount</c>): checked at every interval of every scenario, on the scenario's counts
/// so far (<c>errors</c>, <c>fail-count</c>, <c>dropped</c>) and its last interval (<c>p50</c>,
/// <c>p90</c>, <c>p99</c>, <c>max</c>, <c>rps</c>). The first rule to fire is the reason; the
/// dispatchers stop, calls in flight finish, and the result is marked aborted.
/// </summary>
internal sealed class AbortWatch : IDisposable
{
    private readonly IReadOnlyList<Threshold> _rules;
    private readonly CancellationTokenSource _stop;
    private string? _reason;

    public AbortWatch(IReadOnlyList<Threshold> rules, CancellationToken cancellationToken)
    {
        _rules = rules;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    /// <summary>Cancelled when the caller cancels or a rule fires: what the dispatchers stop on.</summary>
    public CancellationToken Token => _stop.Token;

    /// <summary>Why the run was aborted, or null.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Reads an abort rule: threshold syntax, on a metric known while the run goes.</summary>
    public static Threshold Parse(string text)
    {
        Threshold rule = Threshold.Parse(text);
        bool known = rule.Metric is "errors" or "fail-count" or "dropped" or "rps" or "max"
            || (rule.Metric == "percentile" && rule.Percentile is 50 or 90 or 99);
        return known
            ? rule
            : throw new FormatException($"abort rule '{text}': while running only errors, fail-count, dropped, rps, p50, p90, p99 and max are known.");
    }

    /// <summary>Checks the rules that apply to <paramref name="scenario"/> against its intervals so far.</summary>
    public void Check(string scenario, IReadOnlyList<IntervalStats> intervals)
    {
        if (intervals.Count == 0 || Reason is not null)
        {
            return;
        }

        IntervalStats last = intervals[^1];
        long ok = intervals.Sum(i => i.Ok);
        long fail = intervals.Sum(i => i.Fail);
        foreach (Threshold rule in _rules.Where(r => r.AppliesTo(scenario)))
        {
            double actual = rule.Metric switch
            {
                "errors" => ok + fail == 0 ? 0 : fail / (double)(ok + fail),
                "fail-count" => fail,
                "dropped" => intervals.Sum(i => i.Dropped),
                "rps" => last.OkRps,
                "max" => last.Max,
                _ => rule.Percentile switch { 50 => last.P50, 90 => last.P90, _ => last.P99 },
            };
            if (rule.Holds(actual)
                && Interlocked.CompareExchange(ref _reason, string.Create(CultureInfo.InvariantCulture, $"{rule.Text} on {scenario} ({rule.Show(actual)}) at {last.EndSeconds:0.#} s"), null) is null)
            {
                _stop.Cancel();
                return;
            }
        }
    }

    /// <summary>Stops the run for a reason of the generator's own (it failed); the first reason, of a rule or this, is kept.</summary>
    public void Stop(string reason)
    {
        if (Interlocked.CompareExchange(ref _reason, reason, null) is null)
        {
            _stop.Cancel();
        }
    }

    public void Dispose() => _stop.Dispose();
}
