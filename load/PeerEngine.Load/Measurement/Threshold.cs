using System.Globalization;
using System.Text.RegularExpressions;
using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Measurement;

/// <summary>
/// A pass/fail rule on a scenario's result, e.g. <c>p99&lt;5ms</c>, <c>p99.9&lt;=2ms</c>, <c>errors&lt;0.1%</c>,
/// <c>rps&gt;=19000</c>, <c>dropped=0</c>, optionally scoped <c>echo:p99&lt;5ms</c>. Latencies are response
/// times (from the intended start). A broken threshold makes the run exit with code 2.
/// </summary>
internal sealed partial record Threshold(string Text, string? Scenario, string Metric, double Percentile, string Comparison, double Limit)
{
    public static Threshold Parse(string text)
    {
        Match match = Syntax().Match(text.Trim());
        if (!match.Success)
        {
            throw new FormatException($"threshold '{text}' is not [scenario:]metric<op>value, e.g. p99<5ms or errors<0.1%.");
        }

        string? scenario = match.Groups["scenario"].Success ? match.Groups["scenario"].Value : null;
        string metric = match.Groups["metric"].Value.ToLowerInvariant();
        string op = match.Groups["op"].Value;
        string value = match.Groups["value"].Value.Trim();
        double percentile = 0;
        double limit;
        if (metric.StartsWith('p') && double.TryParse(metric.AsSpan(1), NumberStyles.Float, CultureInfo.InvariantCulture, out percentile))
        {
            limit = Micros(text, value);
            metric = "percentile";
        }
        else
        {
            limit = metric switch
            {
                "mean" or "max" => Micros(text, value),
                "errors" or "fail-rate" => Fraction(text, value),
                "rps" or "dropped" or "fail-count" => Number(text, value),
                _ => throw new FormatException($"threshold '{text}': unknown metric '{metric}' (use pNN, mean, max, errors, fail-count, rps or dropped)."),
            };
            metric = metric == "fail-rate" ? "errors" : metric;
        }

        if (metric == "percentile" && percentile is <= 0 or >= 100)
        {
            throw new FormatException($"threshold '{text}': a percentile lies between 0 and 100 (use max for the largest value).");
        }

        return new Threshold(text.Trim(), scenario, metric, percentile, op, limit);
    }

    /// <summary>The metric as written: p99.9, mean, errors, …</summary>
    public string MetricName => Metric == "percentile" ? Units.Percentile(Percentile) : Metric;

    /// <summary>The thresholds that apply to <paramref name="result"/>'s scenario, evaluated on it.</summary>
    public static IEnumerable<ThresholdResult> EvaluateAll(IEnumerable<Threshold> thresholds, ScenarioResult result) =>
        thresholds.Where(t => t.AppliesTo(result.Name)).Select(t => t.Evaluate(result));

    public bool AppliesTo(string scenario) => Scenario is null || string.Equals(Scenario, scenario, StringComparison.Ordinal);

    public ThresholdResult Evaluate(ScenarioResult result)
    {
        double actual = Metric switch
        {
            "percentile" => ValueAt(result.ResponseTime, Percentile),
            "mean" => result.ResponseTime.Mean,
            "max" => result.ResponseTime.Max,
            "errors" => result.FailRate,
            // Successful calls per second: a target that fails fast must not pass a throughput gate.
            "rps" => result.OkRps,
            "dropped" => result.Dropped,
            "fail-count" => result.Fail,
            _ => throw new InvalidOperationException($"Unknown metric {Metric}."),
        };
        return new ThresholdResult(Text, result.Name, actual, Show(actual), Holds(actual));
    }

    /// <summary>Whether <paramref name="actual"/> meets the comparison (a threshold passes; an abort rule fires).</summary>
    public bool Holds(double actual) => Comparison switch
    {
        "<" => actual < Limit,
        "<=" => actual <= Limit,
        ">" => actual > Limit,
        ">=" => actual >= Limit,
        _ => Math.Abs(actual - Limit) < 1e-9,
    };

    /// <summary>A value of this metric as a reader wants it: a percentage, a latency, or a number.</summary>
    public string Show(double actual) => Metric switch
    {
        "errors" => string.Create(CultureInfo.InvariantCulture, $"{actual * 100:0.###}%"),
        "percentile" or "mean" or "max" => Units.Micros(actual),
        _ => actual.ToString("0.###", CultureInfo.InvariantCulture),
    };

    private static long ValueAt(LatencySummary summary, double percentile) =>
        summary.At(percentile) ?? throw new InvalidOperationException(
            $"p{percentile.ToString(CultureInfo.InvariantCulture)} is not among the measured percentiles; add it with --percentiles.");

    private static double Micros(string text, string value) =>
        DurationSyntax.TryParse(value, out TimeSpan span)
            ? span.Ticks / (double)TimeSpan.TicksPerMicrosecond
            : throw new FormatException($"threshold '{text}': '{value}' is not a duration (e.g. 5ms, 800us).");

    private static double Fraction(string text, string value) =>
        value.EndsWith('%')
            ? Number(text, value[..^1]) / 100
            : Number(text, value);

    private static double Number(string text, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number)
            ? number
            : throw new FormatException($"threshold '{text}': '{value}' is not a number.");

    [GeneratedRegex(@"^(?:(?<scenario>[A-Za-z0-9_.\-]+):)?(?<metric>[A-Za-z][A-Za-z0-9.\-]*)\s*(?<op><=|>=|<|>|=)\s*(?<value>\S.*)$")]
    private static partial Regex Syntax();
}

/// <summary>How one threshold fared against one scenario.</summary>
internal sealed record ThresholdResult(string Threshold, string Scenario, double Actual, string ActualText, bool Passed);
