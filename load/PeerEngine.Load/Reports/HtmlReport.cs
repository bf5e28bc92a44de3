using System.Globalization;
using System.Net;
using System.Text;
using HdrHistogram;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;

namespace PeerEngine.Load.Reports;

/// <summary>
/// One self-contained HTML page: inline CSS and SVG, no script and no network (our machines are
/// offline, and NBomber's CDN-loaded page renders blank there). Per scenario: the summary, latency
/// percentiles over time, throughput, start lag and data transfer over time, the response-time
/// histogram, the percentile spectrum (response vs service time) and the error table.
/// </summary>
internal static class HtmlReport
{
    private const string Style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;margin:0;background:#f5f6f8}
        main{max-width:1100px;margin:0 auto;padding:24px}
        h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:2px solid #d8dce3;padding-bottom:4px}
        h3{font-size:15px;margin:18px 0 6px}
        .meta{color:#5a6372}.badge{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;color:#fff}
        .ok{background:#2e7d32}.bad{background:#c62828}.warn{background:#ef6c00}
        .wide{overflow-x:auto;max-width:100%}
        table{font-size:13px;border-collapse:collapse;background:#fff;margin:6px 0 12px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
        th,td{padding:4px 8px;white-space:nowrap;border-bottom:1px solid #e6e8ec;text-align:right;font-variant-numeric:tabular-nums}
        th{background:#eef0f4;font-weight:600}td:first-child,th:first-child,.t{text-align:left}
        th.blank{background:none}th.group{text-align:center;font-weight:500;color:#5a6372;border-bottom:1px solid #d8dce3}
        tr.primary td{font-weight:600}tr.section th{text-align:left;font-weight:500;color:#5a6372;background:#f7f8fa}
        table.errors td:first-child{white-space:normal;overflow-wrap:anywhere;min-width:15em}table.errors td.sample{white-space:normal;min-width:16em;max-width:36em}
        .charts{display:grid;grid-template-columns:1fr;gap:12px}
        figure.chart{background:#fff;margin:0;padding:10px 12px 4px;box-shadow:0 1px 2px rgba(0,0,0,.06)}
        figcaption{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 18px}figcaption .title{font-weight:600;font-size:15px;margin-right:auto}
        .legend{display:flex;flex-wrap:wrap;gap:2px 14px;font-size:13px}.legend span{white-space:nowrap}svg.key{margin-right:5px;vertical-align:middle}
        svg.chart{display:block;width:100%;height:auto}
        svg text{font:10px system-ui,sans-serif;fill:#3b4252}svg .axis{font-size:11px;fill:#1d2330}
        svg .grid{stroke:#e6e8ec}svg rect.bar{opacity:.85}svg .frame{fill:none;stroke:#b8bec9}
        .note{background:#fff8e1;border-left:4px solid #ffb300;padding:6px 10px;margin:6px 0}
        .note.invalid{background:#fdecea;border-left-color:#c62828}
        ul.problems li{color:#c62828}.note ul{margin:4px 0;padding-left:20px}code{background:#eef0f4;padding:1px 4px;border-radius:3px}
        @media (max-width:760px){main{padding:16px 12px}svg text{font-size:15px}svg .axis{font-size:16px}}
        @media (max-width:560px){svg text{font-size:22px}svg .axis{font-size:23px}svg.chart polyline{stroke-width:3.5}table{font-size:12px}}
        """;

    private const string TimeAxis = "time since start (s)";

    private static readonly string[] Palette = ["#1565c0", "#2e7d32", "#ef6c00", "#c62828", "#6a1b9a", "#00838f"];

    public static string Write(LoadResult result)
    {
        RunInfo run = result.Run;
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">");
        html.Append(CultureInfo.InvariantCulture, $"<title>{E(run.Title)}</title><style>{Style}</style></head><body><main>");
        html.Append(CultureInfo.InvariantCulture, $"<h1>{E(run.Title)}</h1>");
        string badge = !result.Health.Valid || !result.Passed ? "bad" : result.Health.Warnings.Count > 0 ? "warn" : "ok";
        html.Append(CultureInfo.InvariantCulture,
            $"<p><span class=\"badge {badge}\">{E(MarkdownReport.Verdict(result))}</span> <span class=\"meta\">target <code>{E(run.Target)}</code> · {run.StartedUtc:yyyy-MM-dd HH:mm:ss} UTC · {run.DurationSeconds:0.#} s{E(run.WorkersText)} · {E(run.Runtime)} · {run.ProcessorCount} cores</span></p>");
        if (result.Health.Problems.Count > 0)
        {
            html.Append("<div class=\"note invalid\"><b>Invalid run</b> (the figures below do not show what the plan asked for):<ul class=\"problems\">");
            html.AppendJoin(string.Empty, result.Health.Problems.Select(p => $"<li>{E(p)}</li>"));
            html.Append("</ul></div>");
        }

        if (result.Health.Warnings.Count > 0)
        {
            html.Append("<div class=\"note\"><b>Warnings</b> (the run is valid; read its figures with these in mind):<ul class=\"warnings\">");
            html.AppendJoin(string.Empty, result.Health.Warnings.Select(w => $"<li>{E(w)}</li>"));
            html.Append("</ul></div>");
        }

        if (result.Aborted is not null)
        {
            html.Append(CultureInfo.InvariantCulture, $"<div class=\"note invalid\"><b>Aborted:</b> {E(result.Aborted)}; the run stopped early, so it covers less than the plan.</div>");
        }

        html.Append("<p class=\"meta\">Response time runs from each call's <b>intended</b> start, so a stalled target shows in the percentiles instead of hiding (coordinated omission); service time runs from the actual start; start lag is the difference.</p>");

        html.Append(CultureInfo.InvariantCulture,
            $"<h2>Summary</h2><div class=\"wide\"><table><tr><th colspan=\"9\" class=\"blank\"></th><th colspan=\"{run.Percentiles.Count + 1}\" class=\"group\">response time</th></tr>");
        html.Append("<tr><th>scenario</th><th class=\"t\">model</th><th>ok</th><th>failed</th><th>dropped</th><th>ok/s</th><th>failed/s</th><th>planned/s</th><th>data/s</th>");
        html.AppendJoin(string.Empty, run.Percentiles.Select(p => $"<th>{Units.Percentile(p)}</th>")).Append("<th>max</th></tr>");
        foreach (ScenarioResult s in result.Scenarios)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{E(s.Name)}</td><td class=\"t\">{s.Model}</td><td>{Units.Count(s.Ok)}</td><td>{Units.Count(s.Fail)}</td><td>{Units.Count(s.Dropped)}</td><td>{Units.Rate(s.OkRps)}</td><td>{Units.Rate(s.FailRps)}</td><td>{(s.Model == "open" ? Units.Rate(s.TargetRps) : "–")}</td><td>{Units.Bytes(s.BytesPerSecond)}</td>");
            html.AppendJoin(string.Empty, run.Percentiles.Select(p => $"<td>{s.ResponseTime.ShowAt(p)}</td>"));
            html.Append(CultureInfo.InvariantCulture, $"<td>{s.ResponseTime.Show(s.ResponseTime.Max)}</td></tr>");
        }

        html.Append("</table></div>");
        Thresholds(html, result);
        Health(html, result.Health);

        foreach (ScenarioResult s in result.Scenarios)
        {
            Scenario(html, s, run.Percentiles);
        }

        html.Append(CultureInfo.InvariantCulture,
            $"<p class=\"meta\">{E(run.Os)} · GC {E(run.GcMode)} · interval {run.ReportingIntervalSeconds:0.###} s · <code>{E(run.CommandLine)}</code></p>");
        html.Append("</main></body></html>");
        return html.ToString();
    }

    private static void Scenario(StringBuilder html, ScenarioResult s, IReadOnlyList<double> percentiles)
    {
        html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"{E(s.Name)}\">{E(s.Name)}</h2>");
        html.Append(CultureInfo.InvariantCulture, $"<p>{E(s.Description ?? string.Empty)}</p><p class=\"meta\">{s.Model} model: <code>{E(s.Plan)}</code></p>");
        foreach (string note in s.Notes)
        {
            html.Append(CultureInfo.InvariantCulture, $"<div class=\"note\">{E(note)}</div>");
        }

        html.Append("<div class=\"wide\"><table><tr><th>latency</th>");
        html.AppendJoin(string.Empty, percentiles.Select(p => $"<th>{Units.Percentile(p)}</th>")).Append("<th>max</th><th>mean</th><th>stddev</th><th>count</th></tr>");
        LatencyRow(html, "response time", s.ResponseTime, percentiles, primary: true);
        LatencyRow(html, "service time", s.ServiceTime, percentiles, primary: false);
        LatencyRow(html, "start lag", s.StartLag, percentiles, primary: false);
        if (s.Fail > 0)
        {
            LatencyRow(html, "failed calls", s.FailResponseTime, percentiles, primary: false);
        }

        html.Append("</table></div><div class=\"charts\">");

        // When every call failed there is no answer's latency to chart: the failures' own is shown
        // instead (the histogram log keeps it, tagged), and said so, rather than two empty charts.
        bool failuresOnly = s.Ok == 0 && s.Fail > 0;
        (IReadOnlyList<IntervalStats> timeline, HistogramBase? failed) = failuresOnly ? FailedCalls(s) : (s.Intervals, null);
        string prefix = failuresOnly ? "failed " : string.Empty;
        if (failuresOnly)
        {
            html.Append("<div class=\"note invalid\"><b>Every call failed</b>: the latency charts below show the response time of the failed calls (from the intended start to the failure), not of answers.</div>");
        }

        // An interval without a call of the kind charted has no response time: a gap, not a line down to the axis.
        long Charted(IntervalStats i) => failuresOnly ? i.Fail : i.Ok;
        double Measured(IntervalStats i, long value) => Charted(i) == 0 ? double.NaN : value;
        html.Append(new SvgChart
        {
            Title = failuresOnly ? "Response time of failed calls over time (every call failed; per interval, log scale)" : "Response time over time (per interval, log scale)",
            XLabel = TimeAxis,
            YLabel = failuresOnly ? "response time of failed calls" : "response time",
            LogY = true,
            XFrom = 0,
            FormatY = Units.Micros,
        }
            .Add(prefix + "max", Palette[3], timeline.Select(i => (i.EndSeconds, Measured(i, i.Max))))
            .Add(prefix + "p99", Palette[2], timeline.Select(i => (i.EndSeconds, Measured(i, i.P99))))
            .Add(prefix + "p90", Palette[1], timeline.Select(i => (i.EndSeconds, Measured(i, i.P90))))
            .Add(prefix + "p50", Palette[0], timeline.Select(i => (i.EndSeconds, Measured(i, i.P50))))
            .Render());

        // Ok and failed calls apart: one "completed" line hides the failures under it when every call fails.
        static double PerSecond(IntervalStats i, long count) => count / Math.Max(i.Seconds, 1e-9);
        var throughput = new SvgChart { Title = "Throughput over time (per interval)", XLabel = TimeAxis, YLabel = "calls/s", XFrom = 0, FormatY = Units.Rate }
            .Add("ok/s", Palette[0], s.Intervals.Select(i => (i.EndSeconds, PerSecond(i, i.Ok))));
        if (s.Intervals.Any(i => i.Fail > 0))
        {
            throughput.Add("failed/s", Palette[3], s.Intervals.Select(i => (i.EndSeconds, PerSecond(i, i.Fail))));
        }

        if (s.Intervals.Any(i => i.Dropped > 0))
        {
            throughput.Add("dropped/s", Palette[5], s.Intervals.Select(i => (i.EndSeconds, PerSecond(i, i.Dropped))));
        }

        if (s.Model == "open")
        {
            throughput.Add("planned/s", Palette[4], s.Intervals.Select(i => (i.EndSeconds, i.Planned)), dashed: true);
        }

        html.Append(throughput.Render());

        // Start lag over time: when the generator (or the concurrency cap) fell behind, not just by how much overall.
        html.Append(new SvgChart
        {
            Title = "Start lag over time (actual − intended start, per interval, log scale)",
            XLabel = TimeAxis,
            YLabel = "start lag",
            LogY = true,
            XFrom = 0,
            FormatY = Units.Micros,
        }
            .Add("lag max", Palette[3], s.Intervals.Select(i => (i.EndSeconds, Started(i, i.LagMax))))
            .Add("lag p99", Palette[2], s.Intervals.Select(i => (i.EndSeconds, Started(i, i.LagP99))))
            .Add("lag p50", Palette[0], s.Intervals.Select(i => (i.EndSeconds, Started(i, i.LagP50))))
            .Render());

        // In one unit picked by the peak (KiB/s, MiB/s), so the ticks are round numbers short enough for a phone's margin.
        double[] bytesPerSecond = [.. s.Intervals.Select(i => i.Bytes / Math.Max(i.Seconds, 1e-9))];
        (double scale, string unit) = bytesPerSecond.DefaultIfEmpty(0).Max() switch
        {
            >= 1 << 30 => (1 << 30, "GiB/s"),
            >= 1 << 20 => (1 << 20, "MiB/s"),
            >= 1 << 10 => (1 << 10, "KiB/s"),
            _ => (1, "B/s"),
        };
        html.Append(new SvgChart { Title = "Data transfer over time (payload bytes sent and received, per interval)", XLabel = TimeAxis, YLabel = $"data ({unit})", XFrom = 0 }
            .Add(unit, Palette[5], s.Intervals.Zip(bytesPerSecond, (i, b) => (i.EndSeconds, b / scale)))
            .Render());

        html.Append(Histogram(failed is null ? s.ResponseBuckets : LatencyBucket.Of(failed), failuresOnly));

        // The spectrum's x axis counts nines: x = log10(1 / (1 − p)), so p90, p99, p99.9 are evenly spaced.
        long count = failed?.TotalCount ?? s.ResponseTime.Count;
        double Nines(double p) => p >= 100 ? Math.Log10(Math.Max(count, 10)) : Math.Log10(100 / (100 - p));
        int maxNines = (int)Math.Ceiling(Nines(100));
        var spectrum = new SvgChart
        {
            Title = failuresOnly ? "Latency of failed calls by percentile (every call failed; whole run, log scales)" : "Latency by percentile (whole run, log scales)",
            XLabel = "percentile (each nine equally spaced)",
            YLabel = "latency",
            LogY = true,
            FormatY = Units.Micros,
            XTicks = [.. Enumerable.Range(0, maxNines + 1).Select(k => ((double)k, k == 0 ? "p0" : Units.Percentile(100 - (100 / Math.Pow(10, k))))), (Nines(100), "max")],
        };
        if (failed is not null)
        {
            spectrum.Add("response time of failed calls", Palette[3], ScenarioTotals.SpectrumPercentiles(failed.TotalCount).Select(p => (Nines(p), (double)ScenarioTotals.ValueAt(failed, p))));
        }
        else
        {
            spectrum.Add("response time", Palette[0], s.Spectrum.Select(p => (Nines(p.Percentile), (double)p.ResponseMicros)))
                .Add("service time", Palette[2], s.Spectrum.Select(p => (Nines(p.Percentile), (double)p.ServiceMicros)), dashed: true);
        }

        html.Append(spectrum.Render()).Append("</div>");

        html.Append("<h3>Errors</h3>");
        if (s.Fail == 0)
        {
            html.Append("<p class=\"meta\">No failed calls.</p>");
            return;
        }

        // One row per kind of failure (its code and, when the step threw, the exception's type): each
        // failed call counts in exactly one, so the shares add up to the failed total above them.
        long total = s.Ok + s.Fail;
        html.Append(CultureInfo.InvariantCulture,
            $"<div class=\"wide\"><table class=\"errors\"><tr><th>error</th><th class=\"t\">exception</th><th>calls</th><th>share of all calls</th><th>first – last (s into the run)</th><th class=\"t\">sample message</th></tr><tr class=\"primary\"><td>failed calls</td><td></td><td>{Units.Count(s.Fail)}</td><td>{Share(s.Fail, total)}</td><td></td><td></td></tr>");
        foreach (ErrorTally e in s.Errors)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{E(e.Code)}</td><td class=\"t\">{(e.Exception is null ? string.Empty : $"<code>{E(e.Exception)}</code>")}</td><td>{Units.Count(e.Count)}</td><td>{Share(e.Count, total)}</td><td>{E(e.Span)}</td><td class=\"t sample\">{E(e.Sample ?? string.Empty)}</td></tr>");
        }

        html.Append("</table></div>");
    }

    /// <summary>An interval's start lag, or a gap when no call started in it.</summary>
    private static double Started(IntervalStats i, long lag) => i.Ok + i.Fail == 0 ? double.NaN : lag;

    /// <summary>Response time as bars of 1-2-5 buckets (NBomber's histogram), linear counts: the successful calls', or the failed calls' when every call failed.</summary>
    private static string Histogram(IReadOnlyList<LatencyBucket> buckets, bool failuresOnly)
    {
        var chart = new SvgChart
        {
            Title = failuresOnly
                ? "Response time histogram of failed calls (every call failed; whole run; each bar counts the calls up to its bound)"
                : "Response time histogram (successful calls, whole run; each bar counts the calls up to its bound)",
            XLabel = "response time, up to",
            YLabel = "calls",
            Bars = true,
            FormatY = Units.Count,
            XTicks = [.. buckets.Select((b, k) => ((double)k, "≤" + Units.Micros(b.UpToMicros)))],
        };
        return chart.Add("calls", Palette[0], buckets.Select((b, k) => ((double)k, (double)b.Count))).Render();
    }

    /// <summary>
    /// The failed calls' response time per interval and over the whole run, from the histogram log's
    /// <c>fail</c> entries (the k-th belongs to interval k); no timeline and no histogram without a log.
    /// </summary>
    private static (IReadOnlyList<IntervalStats> Timeline, HistogramBase? Whole) FailedCalls(ScenarioResult s)
    {
        if (s.HistogramLog is null)
        {
            return ([], null);
        }

        HistogramBase[] entries = [.. HistogramLogTags.Read(s.HistogramLog).Where(h => h.Tag == HistogramLogTags.FailResponse)];
        LongHistogram whole = ScenarioTotals.NewHistogram();
        foreach (HistogramBase entry in entries)
        {
            whole.Add(entry);
        }

        return ([.. s.Intervals.Zip(entries, (interval, entry) => interval.WithLatencies(entry))], whole.TotalCount > 0 ? whole : null);
    }

    private static void LatencyRow(StringBuilder html, string label, LatencySummary summary, IReadOnlyList<double> percentiles, bool primary)
    {
        html.Append(primary ? "<tr class=\"primary\">" : "<tr>").Append(CultureInfo.InvariantCulture, $"<td>{label}</td>");
        html.AppendJoin(string.Empty, percentiles.Select(p => $"<td>{summary.ShowAt(p)}</td>"));
        html.Append(CultureInfo.InvariantCulture,
            $"<td>{summary.Show(summary.Max)}</td><td>{summary.Show(summary.Mean)}</td><td>{summary.Show(summary.StdDev)}</td><td>{Units.Count(summary.Count)}</td></tr>");
    }

    private static void Thresholds(StringBuilder html, LoadResult result)
    {
        if (result.Thresholds.Count == 0)
        {
            return;
        }

        html.Append("<h2>Thresholds</h2><div class=\"wide\"><table><tr><th>threshold</th><th class=\"t\">scenario</th><th>actual</th><th>result</th></tr>");
        foreach (ThresholdResult t in result.Thresholds)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td><code>{E(t.Threshold)}</code></td><td class=\"t\">{E(t.Scenario)}</td><td>{E(t.ActualText)}</td><td><span class=\"badge {(t.Passed ? "ok" : "bad")}\">{(t.Passed ? "pass" : "fail")}</span></td></tr>");
        }

        html.Append("</table></div>");
    }

    private static void Health(StringBuilder html, GeneratorHealth h)
    {
        html.Append("<h2>Generator health</h2><div class=\"wide\"><table><tr><th>hiccup p50</th><th>hiccup p99</th><th>hiccup max</th><th>GC pauses</th><th>GCs (0/1/2)</th><th>CPU</th></tr>");
        html.Append(CultureInfo.InvariantCulture,
            $"<tr><td>{Units.Micros(h.Hiccups.At(50) ?? 0)}</td><td>{Units.Micros(h.Hiccups.At(99) ?? 0)}</td><td>{Units.Micros(h.Hiccups.Max)}</td><td>{Units.Micros(h.GcPauseMilliseconds * 1000)}</td><td>{h.Gen0Collections}/{h.Gen1Collections}/{h.Gen2Collections}</td><td>{h.CpuPercent:0.#}% of {h.ProcessorCount} cores</td></tr></table></div>");
    }

    /// <summary>A share of calls with two decimals, so a column aligns; tiny shares keep their digits (<c>0.004%</c>).</summary>
    private static string Share(long count, long total)
    {
        double percent = count * 100.0 / Math.Max(total, 1);
        return percent >= 0.01 || percent == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{percent:0.00}%")
            : Units.Percent(percent / 100);
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
