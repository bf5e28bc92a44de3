using System.Globalization;
using PeerEngine.Load.Measurement;
using Spectre.Console;

namespace PeerEngine.Load.Live;

/// <summary>The live view's table, built from a snapshot of the rows: one scenario a row.</summary>
internal static class LiveTable
{
    private const int BarWidth = 10;

    public static Table Build(string stage, IReadOnlyList<LiveRow> rows)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"PeerEngine load test: {Markup.Escape(StageText(stage))} (p99 of the last interval)");
        table.AddColumns("scenario", "phase", "plan done", "ok/s", "failed/s", "target", "p99 last", "ok", "failed", "dropped");
        foreach (int column in new[] { 3, 4, 5, 6, 7, 8, 9 })
        {
            table.Columns[column].RightAligned();
        }

        foreach (LiveRow row in rows)
        {
            table.AddRow(
                Markup.Escape(row.Scenario),
                Markup.Escape(PhaseText(row)),
                Bar(row.Progress),
                $"{Units.Rate(row.OkRate)}/s",
                row.FailRate > 0 ? $"[red]{Units.Rate(row.FailRate)}/s[/]" : "0/s",
                Markup.Escape(PlannedText(row)),
                Units.MicrosOrNone(row.P99),
                Units.Count(row.Ok),
                row.Fail > 0 ? $"[red]{Units.Count(row.Fail)}[/]" : "0",
                row.Dropped > 0 ? $"[red]{Units.Count(row.Dropped)}[/]" : "0");
        }

        return table;
    }

    public static string StageText(string stage) => stage switch
    {
        "warm-up" => "warming up (measured, then discarded)",
        "run" => "running",
        "clean" => "cleaning up",
        _ => "starting",
    };

    /// <summary>The running phase, which of how many, and how far into it: <c>2/2 inject 70%</c>.</summary>
    public static string PhaseText(LiveRow row) =>
        string.Create(CultureInfo.InvariantCulture, $"{row.PhaseNumber}/{row.Phases} {row.Phase} {100 * row.PhaseProgress:0}%");

    /// <summary>What the plan asks for now: a rate (open model) or copies (closed).</summary>
    public static string PlannedText(LiveRow row) =>
        row.Open ? $"{Units.Rate(row.Planned)}/s" : string.Create(CultureInfo.InvariantCulture, $"{row.Planned:0} copies");

    private static string Bar(double progress)
    {
        int done = (int)Math.Round(Math.Clamp(progress, 0, 1) * BarWidth);
        return string.Create(CultureInfo.InvariantCulture, $"[green]{new string('━', done)}[/][grey]{new string('━', BarWidth - done)}[/] {100 * progress,3:0}%");
    }
}
