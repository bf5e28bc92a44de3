using System.Text.RegularExpressions;
using HdrHistogram;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Reports;
using PeerEngine.Load.Scenarios;
using PeerEngine.Load.Tests.Support;

namespace PeerEngine.Load.Tests.Reports;

/// <summary>The latency histogram, the start-lag and the data-transfer charts, from exact recorded values.</summary>
public sealed partial class ReportChartTests
{
    private const long Frequency = 1_000_000;

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 5)]
    [InlineData(10, 10)]
    [InlineData(11, 20)]
    [InlineData(499, 500)]
    [InlineData(1_000_001, 2_000_000)]
    public void Bounds_run_1_2_5_times_each_power_of_ten(long micros, long bound) =>
        Assert.Equal(bound, LatencyBucket.BoundAbove(micros));

    [Fact]
    public void Buckets_count_the_calls_up_to_each_bound_empty_ones_between_included()
    {
        LongHistogram histogram = ScenarioTotals.NewHistogram();
        foreach (long micros in new long[] { 3, 3, 40, 150, 150, 150 })
        {
            histogram.RecordValue(micros);
        }

        IReadOnlyList<LatencyBucket> buckets = LatencyBucket.Of(histogram);

        Assert.Equal(
            [new(5, 2), new(10, 0), new(20, 0), new(50, 1), new(100, 0), new(200, 3)],
            buckets);
        Assert.Empty(LatencyBucket.Of(ScenarioTotals.NewHistogram()));
    }

    [Fact]
    public void Each_interval_keeps_its_start_lag()
    {
        using var recorder = new ScenarioRecorder(Frequency, DateTimeOffset.UnixEpoch);
        foreach (long lag in new long[] { 10, 20, 30, 40, 1000 })
        {
            recorder.Record(0, lag, lag + 100, Response.Ok(10));
        }

        IntervalStats first = recorder.Sample(1, 5);
        IntervalStats empty = recorder.Sample(2, 0);

        Assert.Equal((30, 1000, 1000), (first.LagP50, first.LagP99, first.LagMax));
        Assert.Equal((0, 0, 0), (empty.LagP50, empty.LagP99, empty.LagMax));

        // In intervals.csv too, an empty cell where no call ended.
        ScenarioResult s = recorder.Finish(new ScenarioResultHeader("echo", null, "open", "inject", 2, 5, 2.5, []), LatencySummary.DefaultPercentiles);
        IReadOnlyList<IReadOnlyDictionary<string, string>> rows = CsvReport.Read(CsvReport.WriteIntervals(Runs.Of(s)));
        Assert.Equal(("30", "1000", "1000"), (rows[0]["lag_p50_us"], rows[0]["lag_p99_us"], rows[0]["lag_max_us"]));
        Assert.Equal(string.Empty, rows[1]["lag_max_us"]);
    }

    [Fact]
    public void The_html_draws_the_histogram_as_bars_and_the_start_lag_and_transfer_over_time()
    {
        using var recorder = new ScenarioRecorder(Frequency, DateTimeOffset.UnixEpoch);
        foreach (long micros in new long[] { 3, 3, 40, 150, 150, 150 })
        {
            recorder.Record(0, 2, micros, Response.Ok(1024));
        }

        recorder.Sample(1, 6);
        recorder.Record(1_000_000, 1_000_500, 1_000_600, Response.Ok(2048));
        recorder.Sample(2, 1);
        ScenarioResult s = recorder.Finish(new ScenarioResultHeader("echo", null, "open", "inject", 2, 7, 3.5, []), LatencySummary.DefaultPercentiles);
        string html = HtmlReport.Write(Runs.Of(s));

        // The histogram: one bar per non-empty bucket, titled with its count, the bounds on the x axis.
        string histogram = Figure(html, "Response time histogram (successful calls");
        Assert.Equal(["2", "1", "3", "1"], Bar().Matches(histogram).Select(m => m.Groups[1].Value));
        Assert.Matches("class=\"tick\">≤5 (µ|&#181;)s</text>", histogram);
        Assert.Contains("class=\"axis\">response time, up to</text>", histogram, StringComparison.Ordinal);

        // Start lag per interval (the second interval's one call started 500 µs late) and bytes per second.
        string lag = Figure(html, "Start lag over time");
        Assert.Contains("</svg>lag p99</span>", lag, StringComparison.Ordinal);
        Assert.Contains("class=\"tick\">1.00 ms</text>", lag, StringComparison.Ordinal);
        Assert.Equal(3, Regex.Count(lag, "<polyline "));
        string transfer = Figure(html, "Data transfer over time");
        Assert.Contains("class=\"axis\">data (KiB/s)</text>", transfer, StringComparison.Ordinal);
        Assert.Contains("</svg>KiB/s</span>", transfer, StringComparison.Ordinal);
        Assert.Contains("class=\"tick\">6</text>", transfer, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(transfer, "<polyline "));
    }

    /// <summary>The figure whose title starts with <paramref name="title"/>.</summary>
    private static string Figure(string html, string title)
    {
        int start = html.IndexOf($"<span class=\"title\">{title}", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no chart titled {title}");
        return html[start..html.IndexOf("</figure>", start, StringComparison.Ordinal)];
    }

    [GeneratedRegex("<rect [^>]*class=\"bar\"><title>([0-9,]+)</title>")]
    private static partial Regex Bar();
}
