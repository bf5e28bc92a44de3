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
            Assert.Equal(s.ResponseTime.Count == 0 ? string.Empty : s.ResponseTime.At(99.9)?.ToString(System.Globalization.CultureInfo.InvariantCulture), row["response_p99.9_us"]);
            Assert.Equal(s.ServiceTime.Count == 0 ? string.Empty : s.ServiceTime.Max.ToString(System.Globalization.CultureInfo.InvariantCulture), row["service_max_us"]);
            Assert.Equal(s.StartLag.At(50), (long)Number(row["lag_p50_us"]));
        }

        IReadOnlyList<IReadOnlyDictionary<string, string>> intervals = CsvReport.Read(CsvReport.WriteIntervals(_result));
        Assert.Equal(_result.Scenarios.Sum(s => s.Intervals.Count), intervals.Count);
        Assert.Equal(_result.Scenario("echo").Ok, intervals.Where(r => r["scenario"] == "echo").Sum(r => (long)Number(r["ok"])));
    }

    [Fact]
    public void Ok_per_second_counts_successes_only_with_failed_per_second_beside_it()
    {
        // Flood fails every call: it made no throughput however fast it failed.
        ScenarioResult flood = _result.Scenario("flood, \"quoted\"");
        Assert.Equal(0, flood.OkRps);
        Assert.True(flood.FailRps > 0);
        foreach (ScenarioResult s in _result.Scenarios)
        {
            // The duration shown is rounded to 1 µs, the rates to 0.001/s.
            Assert.Equal(s.Ok / s.DurationSeconds, s.OkRps, 0.01);
            Assert.Equal(s.Fail / s.DurationSeconds, s.FailRps, 0.01);
            Assert.All(s.Intervals, i =>
            {
                // Rates are rounded to 0.001/s and lengths to 1 µs (a last interval may be a few µs long).
                Assert.Equal(i.Ok == 0, i.OkRps == 0);
                Assert.Equal(i.Fail == 0, i.FailRps == 0);
                Assert.Equal(i.Ok, i.OkRps * i.Seconds, 0.01 + (i.OkRps * 1e-6));
                Assert.Equal(i.Fail, i.FailRps * i.Seconds, 0.01 + (i.FailRps * 1e-6));
            });
        }

        Assert.Contains(flood.Intervals, i => i.Fail > 0 && i.OkRps == 0);
        ScenarioResult echo = _result.Scenario("echo");
        Assert.True(echo.Fail > 0 && echo.OkRps < echo.Rps, $"ok/s {echo.OkRps}, all {echo.Rps}");

        string md = MarkdownReport.Write(_result);
        Assert.Contains("| late | ok/s | failed/s | target rps |", md, StringComparison.Ordinal);
        Assert.Contains($" | 0 | {Units.Rate(flood.FailRps)} | ", md, StringComparison.Ordinal);

        string html = HtmlReport.Write(_result);
        Assert.Contains("<th>ok/s</th><th>failed/s</th><th>planned/s</th>", html, StringComparison.Ordinal);
        Assert.Contains($"<td>{Units.Rate(echo.OkRps)}</td><td>{Units.Rate(echo.FailRps)}</td>", html, StringComparison.Ordinal);
        Assert.Contains($"<td>0</td><td>{Units.Rate(flood.FailRps)}</td>", html, StringComparison.Ordinal);

        var console = new StringWriter();
        ConsoleReport.Write(_result, Consoles.Create(console));
        string header = Assert.Single(console.ToString().Split('\n'), l => l.Contains("scenario", StringComparison.Ordinal) && l.Contains("dropped", StringComparison.Ordinal));
        Assert.Matches(@"dropped\s+│\s+ok/s\s+│\s+failed/s", header);

        IReadOnlyDictionary<string, string> csv = Assert.Single(CsvReport.Read(CsvReport.WriteSummary(_result)), r => r["scenario"] == flood.Name);
        Assert.Equal(0, Number(csv["ok_rps"]));
        Assert.Equal(flood.FailRps, Number(csv["fail_rps"]));
        IReadOnlyList<IReadOnlyDictionary<string, string>> intervals = CsvReport.Read(CsvReport.WriteIntervals(_result));
        Assert.Equal(echo.Intervals.Select(i => i.OkRps), intervals.Where(r => r["scenario"] == "echo").Select(r => Number(r["ok_rps"])));
        Assert.Equal(echo.Intervals.Select(i => i.FailRps), intervals.Where(r => r["scenario"] == "echo").Select(r => Number(r["fail_rps"])));
    }

    [Fact]
    public void Latencies_of_calls_that_all_failed_read_as_none_not_zero()
    {
        // Flood fails every call: no answer was timed, and a 0 would read as the fastest one.
        ScenarioResult flood = _result.Scenario("flood, \"quoted\"");
        Assert.Equal(0, flood.Ok);
        int figures = _result.Run.Percentiles.Count + 3;

        string md = MarkdownReport.Write(_result);
        string mdFlood = md[md.IndexOf("flood", StringComparison.Ordinal)..];
        Assert.Contains("| **response time** | " + string.Join(" | ", Enumerable.Repeat(Units.None, figures)) + " |", md, StringComparison.Ordinal);

        string html = HtmlReport.Write(_result);
        Assert.Contains(string.Concat(Enumerable.Repeat($"<td>{Units.None}</td>", _result.Run.Percentiles.Count + 1)) + "</tr>", html, StringComparison.Ordinal);

        IReadOnlyDictionary<string, string> summary = Assert.Single(CsvReport.Read(CsvReport.WriteSummary(_result)), r => r["scenario"] == flood.Name);
        Assert.Equal(string.Empty, summary["response_p99_us"]);
        Assert.Equal(string.Empty, summary["response_max_us"]);
        IReadOnlyList<IReadOnlyDictionary<string, string>> intervals = [.. CsvReport.Read(CsvReport.WriteIntervals(_result)).Where(r => r["scenario"] == flood.Name)];
        Assert.NotEmpty(intervals);
        Assert.All(intervals, r => Assert.Equal(string.Empty, r["p99_us"]));
        Assert.DoesNotMatch(@"\| 0 µs \|", mdFlood);
    }

    [Fact]
    public void Html_is_self_contained_with_its_charts_and_error_table()
    {
        string html = HtmlReport.Write(_result);

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("(src|href)=\"https?:", html);
        Assert.DoesNotContain("<script", html, StringComparison.Ordinal);

        // Six charts per scenario, each with drawn lines or bars, beside its title.
        Assert.Equal(6 * _result.Scenarios.Count, Svg().Count(html));
        Assert.Contains("Response time over time", html, StringComparison.Ordinal);
        Assert.Contains("Throughput over time", html, StringComparison.Ordinal);
        Assert.Contains("Latency by percentile", html, StringComparison.Ordinal);
        Assert.True(Polyline().Count(html) >= 3 * _result.Scenarios.Count);
        Assert.Contains("ERROR 6 Overloaded", html, StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException", html, StringComparison.Ordinal);
        Assert.Contains("flood, &quot;quoted&quot;", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Html_charts_have_axis_labels_with_units_and_legends()
    {
        string html = HtmlReport.Write(_result);

        // Each axis names its quantity and unit; latency ticks carry their unit (µs, ms, s).
        // Flood fails every call: its latency charts show the failed calls' (below), so no chart is empty.
        Assert.Equal(0, Occurrences(html, ">no data</text>"));
        Assert.Equal(4 * _result.Scenarios.Count, Occurrences(html, "class=\"axis\">time since start (s)</text>"));
        Assert.Equal(_result.Scenarios.Count, Occurrences(html, "class=\"axis\">calls/s</text>"));
        Assert.Equal(_result.Scenarios.Count - 1, Occurrences(html, "class=\"axis\">response time</text>"));
        Assert.Equal(_result.Scenarios.Count, Occurrences(html, "class=\"axis\">percentile (each nine equally spaced)</text>"));
        Assert.Matches("class=\"tick\">[0-9.]+ (µs|ms|s)</text>", html);

        // Legends are HTML beside each chart's title (they wrap on a narrow screen), one key per line drawn.
        Assert.Equal(6 * _result.Scenarios.Count, Occurrences(html, "<figcaption>"));
        foreach (string key in new[] { "max", "p99", "p90", "p50", "ok/s", "failed/s", "planned/s", "response time", "service time", "lag p99", "KiB/s", "calls" })
        {
            Assert.Contains($"</svg>{key}</span>", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Html_charts_the_failed_calls_latency_when_every_call_failed_and_says_so()
    {
        string html = HtmlReport.Write(_result);
        ScenarioResult flood = _result.Scenario("flood, \"quoted\"");
        string section = html[html.IndexOf("<h2 id=\"flood", StringComparison.Ordinal)..];

        Assert.Equal(0, flood.Ok);
        Assert.Equal(1, Occurrences(html, "<b>Every call failed</b>: the latency charts below show the response time of the failed calls"));
        Assert.Contains("Response time of failed calls over time (every call failed;", section, StringComparison.Ordinal);
        Assert.Contains("Latency of failed calls by percentile (every call failed;", section, StringComparison.Ordinal);
        Assert.Contains("class=\"axis\">response time of failed calls</text>", section, StringComparison.Ordinal);
        foreach (string key in new[] { "failed max", "failed p99", "failed p90", "failed p50", "response time of failed calls" })
        {
            Assert.Contains($"</svg>{key}</span>", section, StringComparison.Ordinal);
        }

        // Lines drawn in both latency charts (the flood's third chart is throughput), none claiming to be answers' latency.
        Assert.DoesNotContain(">no data</text>", section, StringComparison.Ordinal);
        Assert.True(Polyline().Count(section) >= 4 + 1 + 2);
        Assert.DoesNotContain("</svg>service time</span>", section, StringComparison.Ordinal);

        // The echo scenario had answers: its charts are the usual ones.
        Assert.Contains("Response time over time (per interval, log scale)", html[..html.IndexOf("<h2 id=\"flood", StringComparison.Ordinal)], StringComparison.Ordinal);
    }

    [Fact]
    public void Html_tables_scroll_on_a_narrow_screen_and_charts_enlarge_their_text()
    {
        string html = HtmlReport.Write(_result);

        Assert.Equal(Occurrences(html, "<table"), Occurrences(html, "<div class=\"wide\"><table"));
        Assert.Contains(".wide{overflow-x:auto", html, StringComparison.Ordinal);
        Assert.Matches("@media \\(max-width:560px\\)\\{svg text\\{font-size:[0-9]+px\\}svg \\.axis\\{font-size:23px\\}", html);
        Assert.Equal(23, SvgChart.NarrowFontSize);
    }

    [Fact]
    public void Html_error_table_has_a_row_per_kind_of_failure_under_the_failed_total()
    {
        string html = HtmlReport.Write(_result);
        ScenarioResult flood = _result.Scenario("flood, \"quoted\"");

        Assert.Contains($"<tr class=\"primary\"><td>failed calls</td><td></td><td>{Units.Count(flood.Fail)}</td><td>100.00%</td><td></td><td></td></tr>", html, StringComparison.Ordinal);

        // Echo's failures are returned codes, flood's are thrown: only flood's row names an exception, with its message.
        ErrorTally thrown = Assert.Single(flood.Errors);
        Assert.Equal(("InvalidOperationException", "System.InvalidOperationException", "no"), (thrown.Code, thrown.Exception, thrown.Sample));
        Assert.InRange(thrown.FirstSeconds, 0, thrown.LastSeconds);
        Assert.InRange(thrown.LastSeconds, thrown.FirstSeconds, flood.DurationSeconds);
        ErrorTally returned = Assert.Single(_result.Scenario("echo").Errors);
        Assert.Equal(("ERROR 6 Overloaded", null, "busy"), (returned.Code, returned.Exception, returned.Sample));
        Assert.Equal(1, Occurrences(html, "<td class=\"t\"><code>System.InvalidOperationException</code></td>"));
    }

    [Fact]
    public void Html_says_why_a_run_is_invalid_or_aborted_before_its_numbers()
    {
        LoadResult bad = _result with
        {
            Aborted = "p99>2s on echo (2.5 s) at 4 s",
            // No warnings, whatever the sample run met on a busy machine: they would stand between the verdict's words.
            Health = _result.Health with { Valid = false, Problems = ["echo: target rate not achieved"], Warnings = [] },
        };

        string html = HtmlReport.Write(bad);
        int summary = html.IndexOf("<h2>Summary</h2>", StringComparison.Ordinal);

        Assert.InRange(html.IndexOf("<b>Invalid run</b>", StringComparison.Ordinal), 0, summary);
        Assert.InRange(html.IndexOf("<li>echo: target rate not achieved</li>", StringComparison.Ordinal), 0, summary);
        Assert.InRange(html.IndexOf("<b>Aborted:</b> p99&gt;2s on echo (2.5 s) at 4 s", StringComparison.Ordinal), 0, summary);
        Assert.Contains("INVALID RUN, ABORTED", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5, "5 µs")]
    [InlineData(18.24, "18.2 µs")]
    [InlineData(164, "164 µs")]
    [InlineData(999.7, "1.00 ms")]
    [InlineData(2_460, "2.46 ms")]
    [InlineData(48_000, "48.0 ms")]
    [InlineData(336_900, "337 ms")]
    [InlineData(1_356_000, "1.36 s")]
    public void Latencies_have_three_significant_digits(double micros, string expected) =>
        Assert.Equal(expected, Units.Micros(micros));

    [Fact]
    public void A_latency_reads_the_same_in_thresholds_warnings_and_every_reports_tables()
    {
        // 280.83 ms was "280.83 ms" in a threshold's actual column and a generator warning, "281 ms" in the HTML tables.
        var hiccups = new LatencySummary { Max = 280_830, Percentiles = [new PercentileValue(99, 280_830)] };
        Assert.Equal("281 ms", Threshold.Parse("p99<100ms").Show(280_830));
        Assert.Contains("stalled for up to 281 ms", Assert.Single(RunValidity.Judge([], hiccups, 0).Warnings), StringComparison.Ordinal);

        LoadResult stalled = _result with { Health = _result.Health with { Hiccups = hiccups } };
        string p99 = Units.Micros(_result.Scenario("echo").ResponseTime.At(99)!.Value);
        ThresholdResult threshold = Assert.Single(_result.Thresholds);
        Assert.Equal(p99, threshold.ActualText);

        var console = new StringWriter();
        ConsoleReport.Write(stalled, Consoles.Create(console));
        foreach (string report in new[] { HtmlReport.Write(stalled), MarkdownReport.Write(stalled), console.ToString() })
        {
            Assert.Contains("281 ms", report, StringComparison.Ordinal);
            Assert.Contains(p99, report, StringComparison.Ordinal);
            Assert.DoesNotContain("280.83", report, StringComparison.Ordinal);
        }
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

    private static int Occurrences(string text, string part) =>
        (text.Length - text.Replace(part, string.Empty, StringComparison.Ordinal).Length) / part.Length;

    private static double Number(string text) => double.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex("<svg class=\"chart\"")]
    private static partial Regex Svg();

    [GeneratedRegex("<polyline [^>]*points=\"[0-9]")]
    private static partial Regex Polyline();
}
