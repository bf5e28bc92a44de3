using System.Globalization;
using PeerEngine.Load.Measurement;

namespace PeerEngine.Load.Live;

/// <summary>
/// The live view where output is not a terminal (CI logs, files, tests) or with <c>--no-live</c>:
/// one line per scenario and interval — where it is, the rate against the plan, p99, errors.
/// </summary>
internal sealed class LiveLines(TextWriter output, LiveProgress progress)
{
    private readonly Lock _gate = new();
    private string _stage = string.Empty;

    public void Stage(string stage)
    {
        lock (_gate)
        {
            _stage = stage;
            output.WriteLine(LiveTable.StageText(stage) + "…");
        }
    }

    public void Interval(string scenario, IntervalStats stats)
    {
        lock (_gate)
        {
            if (_stage == "run")
            {
                output.WriteLine(Line(progress.Update(scenario, stats)));
            }
        }
    }

    public static string Line(LiveRow row) => string.Create(CultureInfo.InvariantCulture,
        $"[{row.Seconds,6:0.0}s {100 * row.Progress,3:0}%] {row.Scenario,-8} {LiveTable.PhaseText(row),-24} {Units.Rate(row.OkRate),9}/s ok  {Units.Rate(row.FailRate)}/s failed (plan {LiveTable.PlannedText(row)})  p99 {Units.MicrosOrNone(row.P99),9}  ok {Units.Count(row.Ok)}  errors {Units.Count(row.Fail)}  dropped {Units.Count(row.Dropped)}");
}
