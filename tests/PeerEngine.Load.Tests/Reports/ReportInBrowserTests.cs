using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Reports;
using PeerEngine.Load.Running;
using PeerEngine.Load.Tests.Support;
using Xunit.Abstractions;

namespace PeerEngine.Load.Tests.Reports;

/// <summary>
/// The HTML report of a real run, opened in headless Chromium from <c>file://</c> at a desktop and a phone
/// width: screenshots of both (kept, with the report, in a temp folder named in the test's output), the
/// report's parts in the DOM Chromium built, each of them drawn with a size, and no horizontal overflow.
/// </summary>
public sealed partial class ReportInBrowserTests(ITestOutputHelper output)
{
    private const int Desktop = 1280;
    private const int Phone = 400;
    private const int WindowHeight = 2000;

    /// <summary>
    /// The page Chromium opens: the report in a frame of the width under test, and a script that writes what
    /// Chromium laid out there onto this page's own <c>html</c> element, which <c>--dump-dom</c> prints. The
    /// report itself has no script. A frame, because Chromium's headless window is at least 500 px wide: a
    /// narrower window is laid out 500 px wide and cropped, so a phone width is laid out only inside a frame.
    /// </summary>
    private const string ProbePage = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><style>body{margin:0}iframe{display:block;border:0}</style></head><body>
        <iframe id="report" src="report.html" width="{width}" height="{height}"></iframe>
        <script>
        addEventListener('load', () => {
          const frame = document.getElementById('report').contentWindow;
          const page = frame.document.documentElement;
          const drawn = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
          const count = selector => [...page.querySelectorAll(selector)].filter(drawn).length;
          const out = document.documentElement.dataset;
          out.innerWidth = frame.innerWidth;
          out.clientWidth = page.clientWidth;
          out.scrollWidth = page.scrollWidth;
          // What sticks out past the frame's right edge, other than inside a box that scrolls sideways on purpose.
          out.overflowing = [...page.querySelectorAll('body *')]
            .filter(e => !e.parentElement.closest('.wide') && e.getBoundingClientRect().right > frame.innerWidth + 0.5)
            .slice(0, 5).map(e => e.outerHTML.slice(0, 120)).join(' || ');
          out.badges = count('main > p > .badge');
          out.reasons = count('ul.warnings li');
          out.errorTables = count('table.errors');
          out.charts = count('svg.chart');
          out.bars = count('svg.chart rect.bar');
          out.tickFont = frame.getComputedStyle(page.querySelector('svg.chart text')).fontSize;
          out.probed = 'yes';
        });
        </script></body></html>
        """;

    [Fact]
    public async Task The_html_report_renders_in_headless_chromium_at_desktop_and_phone_widths()
    {
        string chromium = Chromium.Find();
        output.WriteLine($"browser: {chromium}");

        // A real short run (failures in one scenario, every call failed in the other) and the verdict's reasons in words.
        LoadResult run = await SampleRun.CreateAsync();
        var hiccups = new LatencySummary { Max = 45_000, Percentiles = [new PercentileValue(99, 45_000)] };
        List<string> warnings = RunValidity.Judge([], hiccups, 95.4, "the load tool's process (PeerEngine.Load, pid 4242)", 2).Warnings;
        LoadResult result = run with { Health = run.Health with { Warnings = [.. run.Health.Warnings, .. warnings] } };

        string folder = Path.Combine(Path.GetTempPath(), "peerengine-load-report-in-browser", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid():N}");
        string report = Assert.Single(ReportWriter.Write(result, folder, ReportFormat.Html));
        string pages = Path.GetDirectoryName(report)!;
        output.WriteLine($"report and screenshots: {pages}");
        using var profiles = new TempFolder();

        // The report's parts, in the DOM Chromium built from the file.
        string dom = await Chromium.RunAsync(report, Desktop, WindowHeight, Path.Combine(profiles.Path, "dom"), "--dump-dom");
        Assert.StartsWith("<!DOCTYPE html>", dom, StringComparison.Ordinal);
        Assert.Contains($">{WebUtility.HtmlEncode(MarkdownReport.Verdict(result))}</span>", dom, StringComparison.Ordinal);
        Assert.Matches("<span class=\"badge (warn|bad)\">", dom);
        string reasons = Between(dom, "<ul class=\"warnings\">", "</ul>");
        // Compared as text: Chromium's serializer escapes less than WebUtility.HtmlEncode (an apostrophe stays one).
        IReadOnlyList<string> listed = [.. ListItem().Matches(reasons).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value))];
        Assert.All(warnings, w => Assert.Contains(w, listed));
        Assert.Equal(2, Regex.Count(dom, "<table class=\"errors\">"));
        string echoErrors = Between(dom, "<table class=\"errors\">", "</table>");
        Assert.Contains("<td>ERROR 6 Overloaded</td>", echoErrors, StringComparison.Ordinal);
        Assert.Contains("<code>System.InvalidOperationException</code>", dom, StringComparison.Ordinal);
        Assert.Contains("<span class=\"title\">Response time histogram (successful calls", dom, StringComparison.Ordinal);
        Assert.Contains("<span class=\"title\">Response time histogram of failed calls", dom, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(dom, "<span class=\"title\">Start lag over time"));
        Assert.Equal(2, Regex.Count(dom, "<span class=\"title\">Data transfer over time"));
        int charts = Regex.Count(dom, "<svg class=\"chart\"");
        int bars = Regex.Count(dom, "<rect [^>]*class=\"bar\"");
        Assert.Equal(12, charts); // six per scenario: response time, throughput, start lag, transfer, histogram, spectrum
        Assert.True(bars > 0, "no bar in the histograms");

        var tickFonts = new Dictionary<int, double>();
        foreach (int width in new[] { Desktop, Phone })
        {
            string probe = Path.Combine(pages, $"probe-{width}.html");
            await File.WriteAllTextAsync(probe, ProbePage.Replace("{width}", $"{width}", StringComparison.Ordinal).Replace("{height}", $"{WindowHeight}", StringComparison.Ordinal));

            // The screenshot: a PNG as wide as asked.
            string png = Path.Combine(pages, $"report-{width}px.png");
            await Chromium.RunAsync(probe, width, WindowHeight, Path.Combine(profiles.Path, $"shot-{width}"), $"--screenshot={png}");
            Assert.True(File.Exists(png), $"no screenshot at {png}");
            Assert.Equal((width, WindowHeight), PngSize(png));

            // The layout, read in the frame after Chromium drew it.
            string probed = await Chromium.RunAsync(probe, width, WindowHeight, Path.Combine(profiles.Path, $"probe-{width}"), "--virtual-time-budget=5000", "--dump-dom");
            Dictionary<string, string> seen = Data(probed);
            string where = $"at {width} px (see {png})";
            Assert.True(seen.GetValueOrDefault("probed") == "yes", $"the probe did not run {where}: {probed}");
            Assert.Equal(width, Int(seen["inner-width"]));
            Assert.Equal(width, Int(seen["client-width"]));
            Assert.True(Int(seen["scroll-width"]) <= width, $"the page is {seen["scroll-width"]} px wide {where}: {seen["overflowing"]}");
            Assert.True(seen["overflowing"].Length == 0, $"past the right edge {where}: {seen["overflowing"]}");
            Assert.Equal(1, Int(seen["badges"]));
            Assert.Equal(result.Health.Warnings.Count, Int(seen["reasons"]));
            Assert.Equal(2, Int(seen["error-tables"]));
            Assert.Equal(charts, Int(seen["charts"]));
            Assert.Equal(bars, Int(seen["bars"]));
            tickFonts[width] = double.Parse(seen["tick-font"].Replace("px", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture);
        }

        // The phone layout is the one applied at 400 px: the charts' text grows as the chart shrinks.
        Assert.True(tickFonts[Phone] > tickFonts[Desktop], $"tick labels {tickFonts[Phone]} px at {Phone} px, {tickFonts[Desktop]} px at {Desktop} px");
    }

    /// <summary>Width and height from a PNG's header chunk (IHDR), which follows the 8-byte signature.</summary>
    private static (int Width, int Height) PngSize(string path)
    {
        byte[] head = new byte[24];
        using (FileStream file = File.OpenRead(path))
        {
            file.ReadExactly(head);
        }

        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], head[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(head, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(head.AsSpan(20)));
    }

    /// <summary>The <c>data-*</c> attributes of the dumped page's <c>html</c> element.</summary>
    private static Dictionary<string, string> Data(string dom)
    {
        Match html = HtmlTag().Match(dom);
        Assert.True(html.Success, dom);
        return DataAttribute().Matches(html.Value).ToDictionary(m => m.Groups[1].Value, m => WebUtility.HtmlDecode(m.Groups[2].Value));
    }

    private static string Between(string text, string start, string end)
    {
        int from = text.IndexOf(start, StringComparison.Ordinal);
        Assert.True(from >= 0, $"no {start}");
        int to = text.IndexOf(end, from, StringComparison.Ordinal);
        Assert.True(to > from, $"no {end} after {start}");
        return text[from..to];
    }

    private static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

    [GeneratedRegex("<li>(.*?)</li>")]
    private static partial Regex ListItem();

    [GeneratedRegex("<html[^>]*>")]
    private static partial Regex HtmlTag();

    [GeneratedRegex("data-([a-z-]+)=\"([^\"]*)\"")]
    private static partial Regex DataAttribute();
}
