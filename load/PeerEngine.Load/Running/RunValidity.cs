using PeerEngine.Load.Measurement;

namespace PeerEngine.Load.Running;

/// <summary>Whether a run's numbers describe the load that was asked for, and what a reader should know besides.</summary>
internal static class RunValidity
{
    public static (List<string> Problems, List<string> Warnings) Judge(IReadOnlyList<ScenarioResult> scenarios, LatencySummary hiccups, double cpuPercent)
    {
        var problems = new List<string>();
        var warnings = new List<string>();
        foreach (ScenarioResult s in scenarios.Where(s => s.Model == "open"))
        {
            // 1% slack: the last calls of a run may still be in flight as it is timed.
            if (s.Ok + s.Fail < s.Scheduled * 0.99)
            {
                problems.Add($"{s.Name}: target rate not achieved ({Units.Count(s.Ok + s.Fail)} of {Units.Count(s.Scheduled)} scheduled calls completed, {Units.Rate(s.Rps)}/s of {Units.Rate(s.TargetRps)}/s)");
            }

            if (s.Dropped > 0)
            {
                problems.Add($"{s.Name}: {Units.Count(s.Dropped)} calls dropped (could not start within the maximum start lag)");
            }

            if (s.Late > 0)
            {
                warnings.Add($"{s.Name}: {Units.Count(s.Late)} calls waited for a slot under the concurrency cap (their wait is in the response time)");
            }
        }

        foreach (ScenarioResult s in scenarios.Where(s => s.ErrorsByCode.ContainsKey(GeneratorErrors.OutOfDescriptorsCode)))
        {
            problems.Add($"{s.Name}: {Units.Count(s.ErrorsByCode[GeneratorErrors.OutOfDescriptorsCode])} calls failed in the load tool, not the target: it ran out of file descriptors (EMFILE); raise the limit (ulimit -n) or use fewer connections or a lower rate");
        }

        if (hiccups.Max > 20_000)
        {
            warnings.Add($"the generator stalled for up to {Units.Micros(hiccups.Max)} (hiccup meter): latencies near that size may be the generator's");
        }

        if (cpuPercent > 90)
        {
            warnings.Add($"the generator (its processes, and the target when embedded) used {cpuPercent:0}% of the machine's CPU: it may be the bottleneck");
        }

        return (problems, warnings);
    }
}
