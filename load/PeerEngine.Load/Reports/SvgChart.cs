using System.Globalization;
using System.Net;
using System.Text;

namespace PeerEngine.Load.Reports;

/// <summary>
/// Line charts as inline SVG: no script, no network, readable in any browser and in print. The y
/// axis may be logarithmic, because latency spans microseconds to seconds within one run.
/// </summary>
internal sealed class SvgChart
{
    private const double Width = 760;
    private const double Height = 300;
    private const double Left = 70;
    private const double Right = 150;
    private const double Top = 34;
    private const double Bottom = 44;

    private readonly List<Series> _series = [];

    public required string Title { get; init; }

    public required string XLabel { get; init; }

    public required string YLabel { get; init; }

    public bool LogY { get; init; }

    /// <summary>Formats a y value for its tick label.</summary>
    public Func<double, string> FormatY { get; init; } = v => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Tick positions and labels for the x axis; evenly spaced numbers when not given.</summary>
    public IReadOnlyList<(double X, string Label)>? XTicks { get; init; }

    public SvgChart Add(string name, string color, IEnumerable<(double X, double Y)> points, bool dashed = false)
    {
        _series.Add(new Series(name, color, [.. points], dashed));
        return this;
    }

    public string Render()
    {
        (double X, double Y)[] all = [.. _series.SelectMany(s => s.Points)];
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{Esc(Title)}\">");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left}\" y=\"20\" class=\"title\">{Esc(Title)}</text>");
        if (all.Length == 0 || (LogY && all.All(p => p.Y <= 0)))
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\">no data</text></svg>");
            return svg.ToString();
        }

        double xMin = all.Min(p => p.X);
        double xMax = Math.Max(all.Max(p => p.X), xMin + 1e-9);
        double yMax = all.Max(p => p.Y);
        double yMin = LogY ? Math.Max(1, all.Where(p => p.Y > 0).Select(p => p.Y).DefaultIfEmpty(1).Min()) : 0;
        if (LogY)
        {
            yMin = Math.Pow(10, Math.Floor(Math.Log10(yMin)));
            yMax = Math.Pow(10, Math.Ceiling(Math.Log10(Math.Max(yMax, yMin * 10))));
        }
        else
        {
            yMax = NiceCeiling(Math.Max(yMax, 1e-9));
        }

        double plotW = Width - Left - Right;
        double plotH = Height - Top - Bottom;
        double Px(double x) => Left + ((x - xMin) / (xMax - xMin) * plotW);
        double Py(double y) => LogY
            ? Top + plotH - ((Math.Log10(Math.Max(y, yMin)) - Math.Log10(yMin)) / (Math.Log10(yMax) - Math.Log10(yMin)) * plotH)
            : Top + plotH - (y / yMax * plotH);

        // Grid and y ticks: decades on a log axis, fifths otherwise.
        IEnumerable<double> yTicks = LogY
            ? Enumerable.Range(0, (int)Math.Round(Math.Log10(yMax / yMin)) + 1).Select(k => yMin * Math.Pow(10, k))
            : Enumerable.Range(0, 6).Select(k => yMax * k / 5);
        foreach (double y in yTicks)
        {
            svg.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{Left}\" x2=\"{Left + plotW}\" y1=\"{Py(y):0.#}\" y2=\"{Py(y):0.#}\" class=\"grid\"/><text x=\"{Left - 6}\" y=\"{Py(y) + 4:0.#}\" text-anchor=\"end\">{Esc(FormatY(y))}</text>");
        }

        IEnumerable<(double X, string Label)> xTicks = XTicks ?? NiceTicks(xMin, xMax);
        foreach ((double x, string label) in xTicks.Where(t => t.X >= xMin - 1e-9 && t.X <= xMax + 1e-9))
        {
            svg.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{Px(x):0.#}\" x2=\"{Px(x):0.#}\" y1=\"{Top}\" y2=\"{Top + plotH}\" class=\"grid\"/><text x=\"{Px(x):0.#}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\">{Esc(label)}</text>");
        }

        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" class=\"frame\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left + (plotW / 2)}\" y=\"{Height - 6}\" text-anchor=\"middle\" class=\"axis\">{Esc(XLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture,
            $"<text transform=\"translate(14 {Top + (plotH / 2)}) rotate(-90)\" text-anchor=\"middle\" class=\"axis\">{Esc(YLabel)}</text>");

        int legend = 0;
        foreach (Series s in _series)
        {
            string points = string.Join(' ', s.Points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{Px(p.X):0.##},{Py(p.Y):0.##}")));
            string dash = s.Dashed ? " stroke-dasharray=\"6 4\"" : string.Empty;
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"2\"{dash} points=\"{points}\"><title>{Esc(s.Name)}</title></polyline>");
            double ly = Top + 10 + (legend++ * 20);
            svg.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{Left + plotW + 12}\" x2=\"{Left + plotW + 36}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{s.Color}\" stroke-width=\"3\"{dash}/><text x=\"{Left + plotW + 42}\" y=\"{ly + 4}\">{Esc(s.Name)}</text>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    /// <summary>About five ticks on round numbers (1, 2, 2.5 or 5 times a power of ten).</summary>
    private static IEnumerable<(double X, string Label)> NiceTicks(double min, double max)
    {
        double step = NiceCeiling((max - min) / 5);
        for (double x = Math.Ceiling(min / step) * step; x <= max + (step * 1e-9); x += step)
        {
            yield return (x, x.ToString("0.##", CultureInfo.InvariantCulture));
        }
    }

    private static double NiceCeiling(double value)
    {
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        double step = new[] { 1, 2, 2.5, 5, 10 }.First(m => m * magnitude >= value);
        return step * magnitude;
    }

    private static string Esc(string text) => WebUtility.HtmlEncode(text);

    private sealed record Series(string Name, string Color, (double X, double Y)[] Points, bool Dashed);
}
