using System.Text;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;

namespace PeerEngine.Load.Reports;

/// <summary>Writes a run's report files into a folder of their own under the report folder.</summary>
internal static class ReportWriter
{
    public static readonly string DefaultFolder = "reports";

    public static ReportFormat ParseFormats(IEnumerable<string> names)
    {
        ReportFormat formats = ReportFormat.None;
        foreach (string name in names.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            formats |= name.ToLowerInvariant() switch
            {
                "md" or "markdown" => ReportFormat.Md,
                "csv" => ReportFormat.Csv,
                "json" => ReportFormat.Json,
                "html" => ReportFormat.Html,
                "hlog" => ReportFormat.Hlog,
                "all" => ReportFormat.All,
                "none" => ReportFormat.None,
                _ => throw new FormatException($"report format '{name}' is not md, csv, json, html, hlog, all or none."),
            };
        }

        return formats;
    }

    /// <summary>The folder of this run's files under <paramref name="folder"/>: its start time and scenarios.</summary>
    public static string RunFolder(LoadResult result, string folder) =>
        Path.Combine(folder, $"{result.Run.StartedUtc:yyyyMMdd-HHmmss}-{Slug(string.Join('-', result.Scenarios.Select(s => s.Name)))}");

    /// <summary>Writes the files and returns their paths.</summary>
    public static IReadOnlyList<string> Write(LoadResult result, string folder, ReportFormat formats)
    {
        if (formats == ReportFormat.None)
        {
            return [];
        }

        string directory = RunFolder(result, folder);
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        void Save(string name, string text)
        {
            string path = Path.Combine(directory, name);
            File.WriteAllText(path, text, new UTF8Encoding(false));
            written.Add(path);
        }

        if (formats.HasFlag(ReportFormat.Md))
        {
            Save("report.md", MarkdownReport.Write(result));
        }

        if (formats.HasFlag(ReportFormat.Csv))
        {
            Save("summary.csv", CsvReport.WriteSummary(result));
            Save("intervals.csv", CsvReport.WriteIntervals(result));
        }

        if (formats.HasFlag(ReportFormat.Json))
        {
            Save("report.json", JsonReport.Write(result));
        }

        if (formats.HasFlag(ReportFormat.Html))
        {
            Save("report.html", HtmlReport.Write(result));
        }

        if (formats.HasFlag(ReportFormat.Hlog))
        {
            foreach (ScenarioResult s in result.Scenarios.Where(s => s.HistogramLog is not null))
            {
                string path = Path.Combine(directory, $"{Slug(s.Name)}.hlog");
                File.WriteAllBytes(path, s.HistogramLog!);
                written.Add(path);
            }
        }

        return written;
    }

    public static string Slug(string text) =>
        new([.. text.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').Take(60)]);
}
