using System.Globalization;
using System.Text;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;

namespace PeerEngine.Load.Reports;

/// <summary>The report as Markdown: a CI job summary or a pull-request comment.</summary>
internal static class MarkdownReport
{
    public static string Write(LoadResult result)
    {
        var md = new StringBuilder();
        RunInfo run = result.Run;
        md.Append(CultureInfo.InvariantCulture, $"# {run.Title}\n\n");
        md.Append(CultureInfo.InvariantCulture, $"**{Verdict(result)}** · target `{run.Target}` · {run.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC · {run.DurationSeconds:0.#} s{run.WorkersText}\n\n");
        foreach (string problem in result.Health.Problems)
        {
            md.Append(CultureInfo.InvariantCulture, $"- **invalid:** {problem}\n");
        }

        foreach (string warning in result.Health.Warnings)
        {
            md.Append(CultureInfo.InvariantCulture, $"- warning: {warning}\n");
        }

        if (result.Health.Problems.Count + result.Health.Warnings.Count > 0)
        {
            md.Append('\n');
        }

        md.Append("Response time is measured from each call's **intended** start (open model), so a stalled target shows in the percentiles; ");
        md.Append("service time is from the actual start (what tools without coordinated-omission correction report); start lag is the difference.\n\n");

        foreach (ScenarioResult s in result.Scenarios)
        {
            md.Append(CultureInfo.InvariantCulture, $"## {s.Name}\n\n");
            if (s.Description is not null)
            {
                md.Append(CultureInfo.InvariantCulture, $"{s.Description}. ");
            }

            md.Append(CultureInfo.InvariantCulture, $"Plan ({s.Model} model): `{s.Plan}`.\n\n");
            md.Append("| calls ok | failed | dropped | late | ok/s | failed/s | target rps | data |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            md.Append(CultureInfo.InvariantCulture,
                $"| {Units.Count(s.Ok)} | {Units.Count(s.Fail)} ({Units.Percent(s.FailRate)}) | {Units.Count(s.Dropped)} | {Units.Count(s.Late)} | {Units.Rate(s.OkRps)} | {Units.Rate(s.FailRps)} | {(s.Model == "open" ? Units.Rate(s.TargetRps) : "–")} | {Units.Bytes(s.BytesPerSecond)}/s |\n\n");

            md.Append("| latency | ").AppendJoin(" | ", run.Percentiles.Select(Units.Percentile)).Append(" | max | mean | stddev |\n|---|");
            md.Append(string.Concat(Enumerable.Repeat("---:|", run.Percentiles.Count + 3))).Append('\n');
            Row(md, "**response time**", s.ResponseTime, run.Percentiles);
            Row(md, "service time", s.ServiceTime, run.Percentiles);
            Row(md, "start lag", s.StartLag, run.Percentiles);
            md.Append('\n');

            if (s.Fail > 0)
            {
                md.Append("| error | exception | calls | first – last | sample message |\n|---|---|---:|---|---|\n");
                foreach (ErrorTally e in s.Errors)
                {
                    md.Append(CultureInfo.InvariantCulture,
                        $"| {Cell(e.Code)} | {(e.Exception is null ? string.Empty : $"`{e.Exception}`")} | {Units.Count(e.Count)} | {e.Span} | {Cell(e.Sample ?? string.Empty)} |\n");
                }

                md.Append('\n');
            }

            foreach (string note in s.Notes)
            {
                md.Append(CultureInfo.InvariantCulture, $"> {note}\n\n");
            }
        }

        if (result.Thresholds.Count > 0)
        {
            md.Append("## Thresholds\n\n| threshold | scenario | actual | |\n|---|---|---:|---|\n");
            foreach (ThresholdResult t in result.Thresholds)
            {
                md.Append(CultureInfo.InvariantCulture, $"| `{t.Threshold}` | {t.Scenario} | {t.ActualText} | {(t.Passed ? "pass" : "**FAIL**")} |\n");
            }

            md.Append('\n');
        }

        GeneratorHealth h = result.Health;
        md.Append("## Generator\n\n");
        md.Append(CultureInfo.InvariantCulture,
            $"Hiccups (1 ms sleep overshoot) p50 {Units.Micros(h.Hiccups.At(50) ?? 0)}, p99 {Units.Micros(h.Hiccups.At(99) ?? 0)}, max {Units.Micros(h.Hiccups.Max)}; ");
        md.Append(CultureInfo.InvariantCulture,
            $"GC pauses {Units.Micros(h.GcPauseMilliseconds * 1000)} (gen0 {h.Gen0Collections}, gen1 {h.Gen1Collections}, gen2 {h.Gen2Collections}); CPU {h.CpuPercent:0.#}% of {h.ProcessorCount} cores.\n\n");
        md.Append(CultureInfo.InvariantCulture, $"{run.Runtime} · {run.Os} · {run.ProcessorCount} cores · GC {run.GcMode} · `{run.CommandLine}`\n");
        return md.ToString();
    }

    /// <summary>The run in a few words: valid or not (and how many warnings, which the report then lists), aborted, thresholds.</summary>
    internal static string Verdict(LoadResult result) =>
        (result.Health.Valid ? "valid run" : "INVALID RUN")
        + (result.Health.Warnings.Count switch { 0 => string.Empty, 1 => ", 1 warning", int n => $", {n} warnings" })
        + (result.Aborted is null ? string.Empty : $", ABORTED: {result.Aborted}")
        + (result.Thresholds.Count == 0 ? string.Empty : result.Thresholds.All(t => t.Passed) ? ", thresholds passed" : ", THRESHOLDS FAILED");

    /// <summary>Text in a table cell: a pipe would end the cell.</summary>
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);

    private static void Row(StringBuilder md, string label, LatencySummary summary, IReadOnlyList<double> percentiles)
    {
        md.Append(CultureInfo.InvariantCulture, $"| {label} | ");
        md.AppendJoin(" | ", percentiles.Select(summary.ShowAt));
        md.Append(CultureInfo.InvariantCulture, $" | {summary.Show(summary.Max)} | {summary.Show(summary.Mean)} | {summary.Show(summary.StdDev)} |\n");
    }
}
