using PeerEngine.Load.Measurement;
using PeerEngine.Load.Reports;
using PeerEngine.Load.Running;
using PeerEngine.Load.Scenarios;
using PeerEngine.Load.Tests.Support;

namespace PeerEngine.Load.Tests.Reports;

/// <summary>What made a run invalid or warned is said in words beside its verdict, and each kind of failure with a sample and its span.</summary>
public sealed class ReportExplainsItselfTests
{
    private const long Frequency = 1_000_000;
    private const long Origin = 7 * Frequency;

    [Fact]
    public void A_cpu_warning_names_the_process_its_use_and_the_limit_it_crossed()
    {
        List<string> warnings = RunValidity.Judge([], LatencySummary.Empty, 95.4, "the load tool's process (PeerEngine.Load, pid 4242)", 2).Warnings;

        string warning = Assert.Single(warnings);
        Assert.Contains("the load tool's process (PeerEngine.Load, pid 4242)", warning, StringComparison.Ordinal);
        Assert.Contains("95.4% of the machine's CPU of 2 cores", warning, StringComparison.Ordinal);
        Assert.Contains("over the 90%", warning, StringComparison.Ordinal);

        // At the limit itself the run is not warned about.
        Assert.Empty(RunValidity.Judge([], LatencySummary.Empty, RunValidity.CpuWarningPercent, "p", 2).Warnings);
    }

    [Fact]
    public void A_hiccup_warning_names_its_value_and_the_limit()
    {
        var hiccups = new LatencySummary { Max = 45_000, Percentiles = [new PercentileValue(99, 45_000)] };

        string warning = Assert.Single(RunValidity.Judge([], hiccups, 0).Warnings);

        Assert.Contains("stalled for up to 45.0 ms", warning, StringComparison.Ordinal);
        Assert.Contains("a warning above 20.0 ms", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void A_warned_runs_badge_counts_its_warnings_and_every_report_lists_them_beside_it()
    {
        const string cpu = "CPU: the load tool's process (PeerEngine.Load, pid 4242) used 95% of the machine's CPU";
        LoadResult clean = Result(ErrorsRecorded());
        LoadResult warned = clean with { Health = clean.Health with { Warnings = [cpu, "hiccups: stalled"] } };

        string html = HtmlReport.Write(warned);
        int badge = html.IndexOf("<span class=\"badge warn\">valid run, 2 warnings</span>", StringComparison.Ordinal);
        int reason = html.IndexOf($"<li>{System.Net.WebUtility.HtmlEncode(cpu)}</li>", StringComparison.Ordinal);
        int summary = html.IndexOf("<h2>Summary</h2>", StringComparison.Ordinal);
        Assert.True(badge >= 0 && reason > badge && reason < summary, $"badge {badge}, reason {reason}, summary {summary}");
        Assert.Contains("<b>Warnings</b>", html[badge..summary], StringComparison.Ordinal);

        string md = MarkdownReport.Write(warned);
        int verdict = md.IndexOf("**valid run, 2 warnings**", StringComparison.Ordinal);
        int listed = md.IndexOf($"- warning: {cpu}", StringComparison.Ordinal);
        Assert.True(verdict >= 0 && listed > verdict && listed < md.IndexOf("## echo", StringComparison.Ordinal), md);

        var console = new StringWriter();
        ConsoleReport.Write(warned, Consoles.Create(console));
        string text = console.ToString();
        Assert.Contains("valid run, 2 warnings", text, StringComparison.Ordinal);
        Assert.Contains($"warning: {cpu}", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_clean_run_has_a_green_badge_and_no_warning_note()
    {
        string html = HtmlReport.Write(Result(ErrorsRecorded()));

        Assert.Contains("<span class=\"badge ok\">valid run</span>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>Warnings</b>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_kind_of_failure_is_counted_with_a_sample_message_and_its_first_and_last_time()
    {
        ScenarioResult s = ErrorsRecorded();

        Assert.Equal(4, s.Errors.Count);
        ErrorTally lost = s.Errors[0];
        Assert.Equal(("IOException", "System.IO.IOException"), lost.Key);
        Assert.Equal(3, lost.Count);
        Assert.Equal("connection reset by peer", lost.Sample);
        Assert.Equal(0.5, lost.FirstSeconds);
        Assert.Equal(2.75, lost.LastSeconds);
        Assert.Equal("0.5 s – 2.75 s", lost.Span);

        ErrorTally busy = Assert.Single(s.Errors, e => e.Code == "ERROR 6 Overloaded");
        Assert.Null(busy.Exception);
        Assert.Equal("busy | try later", busy.Sample);
        Assert.Equal((1.0, 1.0), (busy.FirstSeconds, busy.LastSeconds));

        // The same code from another exception type is a kind of its own; every failed call counts once.
        Assert.Equal(1, Assert.Single(s.Errors, e => e.Exception == "System.TimeoutException").Count);
        Assert.Equal(s.Fail, s.Errors.Sum(e => e.Count));
    }

    [Fact]
    public void Every_report_shows_the_errors_sample_and_span()
    {
        LoadResult result = Result(ErrorsRecorded());

        string html = HtmlReport.Write(result);
        Assert.Contains(
            "<tr><td>IOException</td><td class=\"t\"><code>System.IO.IOException</code></td><td>3</td><td>25.00%</td><td>0.5 s – 2.75 s</td><td class=\"t sample\">connection reset by peer</td></tr>",
            html,
            StringComparison.Ordinal);
        Assert.Contains("<th>first – last (s into the run)</th>", html, StringComparison.Ordinal);

        string md = MarkdownReport.Write(result);
        Assert.Contains("| IOException | `System.IO.IOException` | 3 | 0.5 s – 2.75 s | connection reset by peer |", md, StringComparison.Ordinal);
        Assert.Contains("| ERROR 6 Overloaded |  | 1 | 1.0 s | busy \\| try later |", md, StringComparison.Ordinal);

        var console = new StringWriter();
        ConsoleReport.Write(result, Consoles.Create(console));
        Assert.Contains("IOException (System.IO.IOException) ×3, 0.5 s – 2.75 s: connection reset by peer", console.ToString(), StringComparison.Ordinal);

        Assert.Equal(result.Scenario("echo").Errors, JsonReport.Read(JsonReport.Write(result)).Scenario("echo").Errors);
    }

    [Fact]
    public void Tallies_of_several_workers_merge_by_kind()
    {
        var totals = new ScenarioTotals();
        totals.Add(ErrorsRecorded());
        totals.Add(ErrorsRecorded(shift: 1.0));

        ScenarioResult merged = totals.ToResult(Header(), [], null, LatencySummary.DefaultPercentiles);

        ErrorTally lost = merged.Errors[0];
        Assert.Equal(6, lost.Count);
        Assert.Equal((0.5, 3.75), (lost.FirstSeconds, lost.LastSeconds));
        Assert.Equal("connection reset by peer", lost.Sample);
        Assert.Equal(merged.Fail, merged.Errors.Sum(e => e.Count));
    }

    [Fact]
    public void A_message_of_several_lines_is_sampled_on_one()
    {
        Assert.Equal("first line second line", ErrorTally.SampleOf("first line\nsecond line\n"));
        Assert.Null(ErrorTally.SampleOf("  "));
    }

    /// <summary>Failures at known times (µs timestamps from a run that started at 7 s): four kinds, six failed calls, six ok.</summary>
    private static ScenarioResult ErrorsRecorded(double shift = 0)
    {
        using var recorder = new ScenarioRecorder(Frequency, DateTimeOffset.UnixEpoch, Origin);
        void Fail(double seconds, Response response, Exception? error)
        {
            long at = Origin + (long)((seconds + shift) * Frequency);
            recorder.Record(at - 100, at - 50, at, response, error);
        }

        for (int i = 0; i < 6; i++)
        {
            recorder.Record(Origin, Origin, Origin + 100, Response.Ok(64));
        }

        Fail(0.5, Response.Fail("IOException", "connection reset by peer"), new IOException("connection reset by peer"));
        Fail(1.0, Response.Fail("ERROR 6 Overloaded", "busy | try later"), null);
        Fail(2.75, Response.Fail("IOException", "broken pipe"), new IOException("broken pipe"));
        Fail(1.5, Response.Fail("IOException", "broken pipe"), new IOException("broken pipe"));
        Fail(2.0, Response.Fail("IOException", "timed out"), new TimeoutException("timed out"));
        Fail(2.0, Response.Fail("unknown"), null);
        return recorder.Finish(Header(), LatencySummary.DefaultPercentiles);
    }

    private static ScenarioResultHeader Header() => new("echo", null, "open", "inject", 3, 12, 4, []);

    private static LoadResult Result(ScenarioResult scenario) => Runs.Of(scenario);
}
