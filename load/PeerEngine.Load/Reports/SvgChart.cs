using System.Globalization;
using System.Net;
using System.Text;

namespace PeerEngine.Load.Reports;

/// <summary>
/// Line charts as inline SVG: no script, no network, readable in any browser and in print. The y
/// axis may be logarithmic, because latency spans microseconds to seconds within one run. The title
/// and the legend are HTML around the SVG (a <c>figure</c>), so they wrap on a narrow screen; inside
/// the SVG the page's stylesheet enlarges the tick labels there, and the margins leave room for that
/// size (<see cref="NarrowFontSize"/>).
/// </summary>
internal sealed class SvgChart
{
    /// <summary>The largest font size (user units) the page's stylesheet gives the SVG's text: on a narrow screen.</summary>
    internal const double NarrowFontSize = 23;

    private const double Width = 720;
    private const double Height = 330;
    private const double Left = 124;
    private const double Right = 30;
    private const double Top = 14;
    private const double Bottom = 66;

    private readonly List<Series> _series = [];

    public required string Title { get; init; }

    /// <summary>The x axis' name with its unit, e.g. <c>time since start (s)</c>.</summary>
    public required string XLabel { get; init; }

    /// <summary>The y axis' name with its unit, e.g. <c>calls/s</c>.</summary>
    public required string YLabel { get; init; }

    public bool LogY { get; init; }

    /// <summary>Where the x axis starts (a time axis at 0, the run's start); the smallest x when not given.</summary>
    public double? XFrom { get; init; }

    /// <summary>Formats a y value for its tick label.</summary>
    public Func<double, string> FormatY { get; init; } = v => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Draws each point as a bar from 0 (a histogram: x is the bucket's index, labelled by <see cref="XTicks"/>) instead of lines.</summary>
    public bool Bars { get; init; }

    /// <summary>Tick positions and labels for the x axis; evenly spaced numbers when not given.</summary>
    public IReadOnlyList<(double X, string Label)>? XTicks { get; init; }

    /// <summary>A line; a point whose y is NaN (an interval without data) breaks it rather than drawing a false value.</summary>
    public SvgChart Add(string name, string color, IEnumerable<(double X, double Y)> points, bool dashed = false)
    {
        _series.Add(new Series(name, color, [.. points], dashed));
        return this;
    }

    public string Render()
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<figure class=\"chart\"><figcaption><span class=\"title\">{Esc(Title)}</span><span class=\"legend\">");
        foreach (Series s in _series)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<span><svg class=\"key\" width=\"24\" height=\"10\" aria-hidden=\"true\"><line x1=\"0\" x2=\"24\" y1=\"5\" y2=\"5\" stroke=\"{s.Color}\" stroke-width=\"3\"{Dash(s)}/></svg>{Esc(s.Name)}</span>");
        }

        html.Append("</span></figcaption>");
        Plot(html);
        html.Append("</figure>");
        return html.ToString();
    }

    private void Plot(StringBuilder svg)
    {
        (double X, double Y)[] all = [.. _series.SelectMany(s => s.Points).Where(p => !double.IsNaN(p.Y))];
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{Esc(Title)}\">");
        if (all.Length == 0 || (LogY && all.All(p => p.Y <= 0)))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\">no data</text></svg>");
            return;
        }

        // The x range covers every point, gaps too: a run's last intervals without data still end the time axis.
        double[] xs = [.. _series.SelectMany(s => s.Points).Select(p => p.X)];
        double xMin = Bars ? xs.Min() - 0.5 : Math.Min(XFrom ?? double.MaxValue, xs.Min());
        double xMax = Bars ? xs.Max() + 0.5 : Math.Max(xs.Max(), xMin + 1e-9);
        double yMax = all.Max(p => p.Y);
        double yMin = LogY ? Math.Max(1, all.Where(p => p.Y > 0).Select(p => p.Y).DefaultIfEmpty(1).Min()) : 0;
        double yStep = 0;
        if (LogY)
        {
            yMin = Math.Pow(10, Math.Floor(Math.Log10(yMin)));
            yMax = Math.Pow(10, Math.Ceiling(Math.Log10(Math.Max(yMax, yMin * 10))));
        }
        else
        {
            // A round step first, then the top as the first multiple of it 5% above the data, so a
            // line at the top (a plan's constant rate) does not vanish into the frame.
            double top = Math.Max(yMax, 1e-9) * 1.05;
            yStep = NiceCeiling(top / 5);
            yMax = Math.Ceiling(top / yStep) * yStep;
        }

        const double plotW = Width - Left - Right;
        const double plotH = Height - Top - Bottom;
        double Px(double x) => Left + ((x - xMin) / (xMax - xMin) * plotW);
        double Py(double y) => LogY
            ? Top + plotH - ((Math.Log10(Math.Max(y, yMin)) - Math.Log10(yMin)) / (Math.Log10(yMax) - Math.Log10(yMin)) * plotH)
            : Top + plotH - (y / yMax * plotH);

        // Grid and y ticks: decades on a log axis, round steps otherwise.
        IEnumerable<double> yTicks = LogY
            ? Enumerable.Range(0, (int)Math.Round(Math.Log10(yMax / yMin)) + 1).Select(k => yMin * Math.Pow(10, k))
            : Enumerable.Range(0, (int)Math.Round(yMax / yStep) + 1).Select(k => k * yStep);
        foreach (double y in yTicks)
        {
            svg.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{Left}\" x2=\"{Left + plotW}\" y1=\"{Py(y):0.#}\" y2=\"{Py(y):0.#}\" class=\"grid\"/><text x=\"{Left - 8}\" y=\"{Py(y):0.#}\" dy=\"0.35em\" text-anchor=\"end\" class=\"tick\">{Esc(FormatY(y))}</text>");
        }

        // X ticks: every grid line, but a label only where it cannot run into the previous one at the
        // narrow screen's font size.
        IEnumerable<(double X, string Label)> xTicks = XTicks ?? NiceTicks(xMin, xMax);
        double lastRight = double.MinValue;
        foreach ((double x, string label) in xTicks.Where(t => t.X >= xMin - 1e-9 && t.X <= xMax + 1e-9))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Px(x):0.#}\" x2=\"{Px(x):0.#}\" y1=\"{Top}\" y2=\"{Top + plotH}\" class=\"grid\"/>");
            double half = TextWidth(label) / 2;
            if (Px(x) - half >= lastRight + (NarrowFontSize / 2))
            {
                svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Px(x):0.#}\" y=\"{Top + plotH + 8}\" dy=\"0.9em\" text-anchor=\"middle\" class=\"tick\">{Esc(label)}</text>");
                lastRight = Px(x) + half;
            }
        }

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" class=\"frame\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (plotW / 2)}\" y=\"{Height - 8}\" text-anchor=\"middle\" class=\"axis\">{Esc(XLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text transform=\"translate(4 {Top + (plotH / 2)}) rotate(-90)\" dy=\"0.8em\" text-anchor=\"middle\" class=\"axis\">{Esc(YLabel)}</text>");

        double barWidth = plotW / (xMax - xMin) * 0.8;
        foreach (Series s in _series.Where(_ => Bars))
        {
            foreach ((double x, double y) in s.Points.Where(p => !double.IsNaN(p.Y) && p.Y > 0))
            {
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect x=\"{Px(x) - (barWidth / 2):0.##}\" y=\"{Py(y):0.##}\" width=\"{barWidth:0.##}\" height=\"{Py(0) - Py(y):0.##}\" fill=\"{s.Color}\" class=\"bar\"><title>{Esc(FormatY(y))}</title></rect>");
            }
        }

        foreach (Series s in _series.Where(_ => !Bars))
        {
            foreach (string points in Segments(s.Points, p => string.Create(CultureInfo.InvariantCulture, $"{Px(p.X):0.##},{Py(p.Y):0.##}")))
            {
                svg.Append(CultureInfo.InvariantCulture,
                    $"<polyline fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"2\" stroke-linejoin=\"round\"{Dash(s)} points=\"{points}\"><title>{Esc(s.Name)}</title></polyline>");
            }
        }

        svg.Append("</svg>");
    }

    /// <summary>The runs of points between NaN gaps, each as a polyline's point list (a single point drawn as a dot's width).</summary>
    private static IEnumerable<string> Segments((double X, double Y)[] points, Func<(double X, double Y), string> position)
    {
        var run = new List<string>();
        foreach ((double X, double Y) p in points.Append((0, double.NaN)))
        {
            if (!double.IsNaN(p.Y))
            {
                run.Add(position(p));
                continue;
            }

            if (run.Count > 0)
            {
                yield return string.Join(' ', run.Count == 1 ? [run[0], run[0]] : run);
                run.Clear();
            }
        }
    }

    /// <summary>A generous estimate of a label's width at the narrow screen's font size (digits and letters ≈ 0.6 em).</summary>
    private static double TextWidth(string text) => text.Length * 0.6 * NarrowFontSize;

    private static string Dash(Series s) => s.Dashed ? " stroke-dasharray=\"6 4\"" : string.Empty;

    /// <summary>About six ticks on round numbers (1, 2 or 5 times a power of ten: whole seconds, not 2.5).</summary>
    private static IEnumerable<(double X, string Label)> NiceTicks(double min, double max)
    {
        double step = NiceCeiling((max - min) / 6, [1, 2, 5, 10]);
        for (double x = Math.Ceiling(min / step) * step; x <= max + (step * 1e-9); x += step)
        {
            yield return (x, x.ToString("0.##", CultureInfo.InvariantCulture));
        }
    }

    private static double NiceCeiling(double value, double[]? multiples = null)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        double step = (multiples ?? [1, 2, 2.5, 5, 10]).First(m => m * magnitude >= value * (1 - 1e-12));
        return step * magnitude;
    }

    private static string Esc(string text) => WebUtility.HtmlEncode(text);

    private sealed record Series(string Name, string Color, (double X, double Y)[] Points, bool Dashed);
}
