using System.Globalization;
using PeerEngine.Load.Measurement;

namespace PeerEngine.Load.Running;

/// <summary>Whether a run's numbers describe the load that was asked for, and what a reader should know besides.</summary>
internal static class RunValidity
{
    /// <summary>A 1 ms sleep that overshot by more than this (20 ms) is a stall of the generator as large as the latencies it measures.</summary>
    public const long HiccupWarningMicros = 20_000;

    /// <summary>
    /// CPU use (share of the machine) above which the generator may be what limits: past 90%, a due call
    /// can wait for a core, and that wait shows as start lag and response time the target did not cause.
    /// </summary>
    public const double CpuWarningPercent = 90;

    /// <summary>Each sentence names what was measured, its value and the limit it crossed, so a report explains its own verdict.</summary>
    /// <param name="cpuUser">Whose CPU use <paramref name="cpuPercent"/> is, e.g. <c>the load tool's process (PeerEngine.Load, pid 4242)</c>.</param>
    public static (List<string> Problems, List<string> Warnings) Judge(
        IReadOnlyList<ScenarioResult> scenarios, LatencySummary hiccups, double cpuPercent, string cpuUser = "the load tool's process", int processors = 0)
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

        if (hiccups.Max > HiccupWarningMicros)
        {
            warnings.Add($"hiccups: the generator stalled for up to {Units.Micros(hiccups.Max)} (hiccup meter, a warning above {Units.Micros(HiccupWarningMicros)}): latencies near that size may be the generator's");
        }

        if (cpuPercent > CpuWarningPercent)
        {
            string cores = processors > 0 ? $" of {processors} cores" : string.Empty;
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"CPU: {cpuUser} used {cpuPercent:0.#}% of the machine's CPU{cores}, over the {CpuWarningPercent:0}% above which the generator may be the bottleneck (a call waiting for a core counts as the target's latency)"));
        }

        return (problems, warnings);
    }
}
