using System.Globalization;
using System.Text.RegularExpressions;
using PeerEngine.Load.Reports;

namespace PeerEngine.Load.Tests.Reports;

public sealed partial class SvgChartTests
{
    [Fact]
    public void A_gap_in_the_data_breaks_the_line_and_the_time_axis_still_runs_to_the_end()
    {
        string svg = new SvgChart { Title = "t", XLabel = "time since start (s)", YLabel = "calls/s", XFrom = 0 }
            .Add("ok/s", "#000", [(1, 10), (2, 20), (3, double.NaN), (4, double.NaN), (5, 30), (10, double.NaN)])
            .Render();

        Assert.Equal(2, Polyline().Count(svg));
        Assert.DoesNotContain("NaN", svg, StringComparison.Ordinal);

        // Ticks from 0 to 10 s: the last interval has no data but still ends the axis.
        Assert.Contains("class=\"tick\">0</text>", svg, StringComparison.Ordinal);
        Assert.Contains("class=\"tick\">10</text>", svg, StringComparison.Ordinal);
    }

    [Fact]
    public void A_linear_axis_ends_on_a_round_tick_above_the_data()
    {
        string svg = new SvgChart { Title = "t", XLabel = "x", YLabel = "calls/s" }
            .Add("planned/s", "#000", [(1, 30_000), (2, 30_000)])
            .Render();

        // 30,000 is not the top of the frame (the plan's line would vanish into it).
        double[] ticks = [.. TickY().Matches(svg).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];
        Assert.Equal(40_000, ticks.Max());
    }

    [Fact]
    public void Crowded_x_labels_are_thinned_so_they_cannot_overlap_at_the_narrow_font()
    {
        (double X, string Label)[] ticks = [.. Enumerable.Range(0, 9).Select(k => ((double)k, "p99.99999"))];
        string svg = new SvgChart { Title = "t", XLabel = "x", YLabel = "y", XTicks = ticks }
            .Add("a", "#000", [(0, 1), (8, 2)])
            .Render();

        double[] xs = [.. TickX().Matches(svg).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];
        Assert.InRange(xs.Length, 2, 8);
        double width = "p99.99999".Length * 0.6 * SvgChart.NarrowFontSize;
        Assert.All(xs.Zip(xs.Skip(1)), pair => Assert.True(pair.Second - pair.First >= width, $"{pair.First} and {pair.Second} overlap"));
        Assert.Equal(9, VerticalGrid().Count(svg)); // every tick keeps its grid line
    }

    [Fact]
    public void No_data_says_so()
    {
        string html = new SvgChart { Title = "t", XLabel = "x", YLabel = "y", LogY = true }.Add("a", "#000", [(1, double.NaN)]).Render();

        Assert.Contains(">no data</text>", html, StringComparison.Ordinal);
    }

    [GeneratedRegex("<line x1=\"([0-9.]+)\" x2=\"\\1\" y1=")]
    private static partial Regex VerticalGrid();

    [GeneratedRegex("<polyline ")]
    private static partial Regex Polyline();

    [GeneratedRegex("dy=\"0.35em\" text-anchor=\"end\" class=\"tick\">([0-9.]+)</text>")]
    private static partial Regex TickY();

    [GeneratedRegex("<text x=\"([0-9.]+)\" y=\"[0-9.]+\" dy=\"0.9em\"")]
    private static partial Regex TickX();
}
