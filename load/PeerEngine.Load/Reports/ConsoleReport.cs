using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;
using Spectre.Console;

namespace PeerEngine.Load.Reports;

/// <summary>The end-of-run tables on the console; plain text when the output is redirected.</summary>
internal static class ConsoleReport
{
    public static void Write(LoadResult result, IAnsiConsole console)
    {
        RunInfo run = result.Run;
        console.WriteLine();
        console.MarkupLine($"[bold]{Markup.Escape(run.Title)}[/] — target {Markup.Escape(run.Target)}, {run.DurationSeconds:0.#} s{Markup.Escape(run.WorkersText)}");

        var table = new Table().Border(TableBorder.Rounded).Title("response time from the intended start (µs-accurate, HdrHistogram)");
        table.AddColumns("scenario", "ok", "failed", "dropped", "ok/s", "failed/s");
        foreach (double p in run.Percentiles)
        {
            table.AddColumn(new TableColumn(Units.Percentile(p)).RightAligned());
        }

        table.AddColumns("max", "mean", "stddev");
        foreach (ScenarioResult s in result.Scenarios)
        {
            var row = new List<string> { Markup.Escape(s.Name), Units.Count(s.Ok), Units.Count(s.Fail), Units.Count(s.Dropped), Units.Rate(s.OkRps), Units.Rate(s.FailRps) };
            row.AddRange(run.Percentiles.Select(s.ResponseTime.ShowAt));
            row.AddRange([s.ResponseTime.Show(s.ResponseTime.Max), s.ResponseTime.Show(s.ResponseTime.Mean), s.ResponseTime.Show(s.ResponseTime.StdDev)]);
            table.AddRow([.. row]);
        }

        console.Write(table);

        var beside = new Table().Border(TableBorder.Simple).Title("service time (from the actual start) and start lag");
        beside.AddColumns("scenario", "measure", "p50", "p99", "max", "mean");
        foreach (ScenarioResult s in result.Scenarios)
        {
            beside.AddRow(Markup.Escape(s.Name), "service", s.ServiceTime.ShowAt(50), s.ServiceTime.ShowAt(99), s.ServiceTime.Show(s.ServiceTime.Max), s.ServiceTime.Show(s.ServiceTime.Mean));
            beside.AddRow(string.Empty, "start lag", s.StartLag.ShowAt(50), s.StartLag.ShowAt(99), s.StartLag.Show(s.StartLag.Max), s.StartLag.Show(s.StartLag.Mean));
        }

        console.Write(beside);

        foreach (ScenarioResult s in result.Scenarios.Where(s => s.Fail > 0))
        {
            console.MarkupLine($"[red]{Markup.Escape(s.Name)} errors:[/]");
            foreach (ErrorTally e in s.Errors)
            {
                string type = e.Exception is null ? string.Empty : $" ({e.Exception})";
                string sample = e.Sample is null ? string.Empty : $": {e.Sample}";
                console.MarkupLine(Markup.Escape($"  {e.Code}{type} ×{Units.Count(e.Count)}, {e.Span}{sample}"));
            }
        }

        if (result.Aborted is not null)
        {
            console.MarkupLine($"[red]ABORTED:[/] {Markup.Escape(result.Aborted)}");
        }

        foreach (ThresholdResult t in result.Thresholds)
        {
            console.MarkupLine($"{(t.Passed ? "[green]pass[/]" : "[red]FAIL[/]")} {Markup.Escape(t.Threshold)} on {Markup.Escape(t.Scenario)}: {Markup.Escape(t.ActualText)}");
        }

        GeneratorHealth h = result.Health;
        console.MarkupLine(Markup.Escape(
            $"generator: hiccups p99 {Units.Micros(h.Hiccups.At(99) ?? 0)}, max {Units.Micros(h.Hiccups.Max)}; GC pauses {Units.Micros(h.GcPauseMilliseconds * 1000)}; CPU {h.CpuPercent:0.#}% of {h.ProcessorCount} cores"));
        string colour = !h.Valid || !result.Passed ? "red" : h.Warnings.Count > 0 ? "yellow" : "green";
        console.MarkupLine($"[bold {colour}]{Markup.Escape(MarkdownReport.Verdict(result))}[/]");
        foreach (string problem in h.Problems)
        {
            console.MarkupLine($"[red]invalid run:[/] {Markup.Escape(problem)}");
        }

        foreach (string warning in h.Warnings)
        {
            console.MarkupLine($"[yellow]warning:[/] {Markup.Escape(warning)}");
        }

        foreach (string note in result.Scenarios.SelectMany(s => s.Notes).Distinct())
        {
            console.MarkupLine($"[yellow]note:[/] {Markup.Escape(note)}");
        }
    }
}
