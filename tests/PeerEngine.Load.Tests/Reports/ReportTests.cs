using System.Text.RegularExpressions;
using HdrHistogram;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Reports;
using PeerEngine.Load.Running;
using PeerEngine.Load.Tests.Support;

namespace PeerEngine.Load.Tests.Reports;

public sealed partial class ReportTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "peerengine-load-tests", Guid.NewGuid().ToString("N"));
    private LoadResult _result = null!;

    public async Task InitializeAsync() => _result = await SampleRun.CreateAsync();

    public Task DisposeAsync()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }

        return Task.CompletedTask;
    }

    [Fact]
    public void Every_format_is_written()
    {
        IReadOnlyList<string> files = ReportWriter.Write(_result, _folder, ReportFormat.All);

        Assert.Equal(
            ["echo.hlog", "flood___quoted_.hlog", "intervals.csv", "report.html", "report.json", "report.md", "summary.csv"],
            files.Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.All(files, f => Assert.True(new FileInfo(f).Length > 0, f));
    }

    [Fact]
    public void Json_reads_back_to_the_same_numbers()
    {
        string json = JsonReport.Write(_result);
        LoadResult back = JsonReport.Read(json);

        Assert.Equal(json, JsonReport.Write(back));
        ScenarioResult echo = back.Scenario("echo");
        ScenarioResult original = _result.Scenario("echo");
        Assert.Equal(original.Ok, echo.Ok);
        Assert.Equal(original.ResponseTime.At(99.99), echo.ResponseTime.At(99.99));
        Assert.Equal(original.ServiceTime.StdDev, echo.ServiceTime.StdDev);
        Assert.Equal(original.ErrorsByCode, echo.ErrorsByCode);
        Assert.Equal(original.Intervals, echo.Intervals);
        Assert.Equal(original.Spectrum, echo.Spectrum);
        Assert.Equal(_result.Health.Hiccups.Max, back.Health.Hiccups.Max);
        Assert.Equal(_result.Thresholds, back.Thresholds);
    }

    [Fact]
    public void Csv_reads_back_to_the_same_numbers()
    {
        IReadOnlyList<IReadOnlyDictionary<string, string>> rows = CsvReport.Read(CsvReport.WriteSummary(_result));

        Assert.Equal(_result.Scenarios.Select(s => s.Name), rows.Select(r => r["scenario"]));
        foreach ((ScenarioResult s, IReadOnlyDictionary<string, string> row) in _result.Scenarios.Zip(rows))
        {
            Assert.Equal(s.Ok, long.Parse(row["ok"], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(s.Fail, long.Parse(row["fail"], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(s.Rps, Number(row["rps"]));
            Assert.Equal(s.FailRate, Number(row["fail_rate"]));
            Assert.Equal(s.ResponseTime.Mean, Number(row["response_mean_us"]));
            Assert.Equal(s.ResponseTime.At(99.9), (long)Number(row["response_p99.9_us"]));
            Assert.Equal(s.ServiceTime.Max, (long)Number(row["service_max_us"]));
            Assert.Equal(s.StartLag.At(50), (long)Number(row["lag_p50_us"]));
        }

        IReadOnlyList<IReadOnlyDictionary<string, string>> intervals = CsvReport.Read(CsvReport.WriteIntervals(_result));
        Assert.Equal(_result.Scenarios.Sum(s => s.Intervals.Count), intervals.Count);
        Assert.Equal(_result.Scenario("echo").Ok, intervals.Where(r => r["scenario"] == "echo").Sum(r => (long)Number(r["ok"])));
    }

    [Fact]
    public void Html_is_self_contained_with_its_charts_and_error_table()
    {
        string html = HtmlReport.Write(_result);

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("(src|href)=\"https?:", html);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);

        // Three charts per scenario, each with drawn lines.
        Assert.Equal(3 * _result.Scenarios.Count, Svg().Count(html));
        Assert.Contains("Response time over time", html, StringComparison.Ordinal);
        Assert.Contains("Throughput over time", html, StringComparison.Ordinal);
        Assert.Contains("Latency by percentile", html, StringComparison.Ordinal);
        Assert.True(Polyline().Count(html) >= 3 * _result.Scenarios.Count);
        Assert.Contains("ERROR 6 Overloaded", html, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException", html, StringComparison.Ordinal);
        Assert.Contains("flood, &quot;quoted&quot;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Markdown_shows_every_percentile_and_the_thresholds()
    {
        string md = MarkdownReport.Write(_result);

        Assert.Contains("| latency | p50 | p90 | p99 | p99.9 | p99.99 | max | mean | stddev |", md, StringComparison.Ordinal);
        Assert.Contains("| **response time** |", md, StringComparison.Ordinal);
        Assert.Contains("`echo:p99<1s`", md, StringComparison.Ordinal);
        Assert.Contains("ERROR 6 Overloaded", md, StringComparison.Ordinal);
    }

    [Fact]
    public void The_histogram_log_merges_back_to_the_run_exactly()
    {
        ScenarioResult echo = _result.Scenario("echo");
        using var stream = new MemoryStream(echo.HistogramLog!);
        using var reader = new HistogramLogReader(stream);
        var merged = new LongHistogram(1, ScenarioRecorder.HighestMicros, 3);
        foreach (HistogramBase interval in reader.ReadHistograms().Where(h => h.Tag is null))
        {
            merged.Add(interval);
        }

        Assert.Equal(echo.Ok, merged.TotalCount);
        Assert.Equal(echo.ResponseTime.At(99), merged.GetValueAtPercentile(99));
        Assert.Equal(echo.ResponseTime.Max, merged.GetMaxValue());
    }

    private static double Number(string text) => double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex("<svg class=\"chart\"")]
    private static partial Regex Svg();

    [GeneratedRegex("<polyline [^>]*points=\"[0-9]")]
    private static partial Regex Polyline();
}
