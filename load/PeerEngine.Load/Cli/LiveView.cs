using System.Globalization;
using PeerEngine.Load.Measurement;

namespace PeerEngine.Load.Cli;

/// <summary>One line per scenario and interval while the run goes: where it is, the rate, p99, errors.</summary>
internal sealed class LiveView(TextWriter output, IReadOnlyDictionary<string, double> plannedSeconds)
{
    private readonly Lock _gate = new();
    private string _stage = string.Empty;

    public void Stage(string stage)
    {
        lock (_gate)
        {
            _stage = stage;
            output.WriteLine(stage switch
            {
                "warm-up" => "warming up (measured, then discarded)…",
                "run" => "running…",
                _ => "cleaning up…",
            });
        }
    }

    public void Interval(string scenario, IntervalStats stats)
    {
        if (_stage != "run")
        {
            return;
        }

        double total = plannedSeconds.GetValueOrDefault(scenario);
        string progress = total > 0 ? string.Create(CultureInfo.InvariantCulture, $"{Math.Min(100, 100 * stats.EndSeconds / total),3:0}%") : "   ";
        lock (_gate)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[{stats.EndSeconds,6:0.0}s {progress}] {scenario,-8} {Units.Rate(stats.Rps),9}/s (plan {Units.Rate(stats.Planned)})  p50 {Units.Micros(stats.P50),9}  p99 {Units.Micros(stats.P99),9}  max {Units.Micros(stats.Max),9}  errors {Units.Count(stats.Fail)}  dropped {Units.Count(stats.Dropped)}"));
        }
    }
}
