using HdrHistogram;

namespace PeerEngine.Load.Measurement;

/// <summary>A latency distribution in microseconds, read from one histogram: never averaged from others' percentiles.</summary>
internal sealed record LatencySummary
{
    /// <summary>The percentiles a report shows unless told otherwise (NBomber stops at p99; the tail is the point).</summary>
    public static readonly IReadOnlyList<double> DefaultPercentiles = [50, 90, 99, 99.9, 99.99];

    public static readonly LatencySummary Empty = new() { Percentiles = [] };

    public long Count { get; init; }

    public double Mean { get; init; }

    public double StdDev { get; init; }

    public long Min { get; init; }

    public long Max { get; init; }

    public required IReadOnlyList<PercentileValue> Percentiles { get; init; }

    public static LatencySummary From(HistogramBase histogram, IReadOnlyList<double> percentiles)
    {
        if (histogram.TotalCount == 0)
        {
            return new LatencySummary { Percentiles = [.. percentiles.Select(p => new PercentileValue(p, 0))] };
        }

        return new LatencySummary
        {
            Count = histogram.TotalCount,
            Mean = Math.Round(histogram.GetMean(), 3),
            StdDev = Math.Round(histogram.GetStdDeviation(), 3),
            Min = histogram.LowestEquivalentValue(histogram.RecordedValues().First().ValueIteratedTo),
            Max = histogram.GetMaxValue(),
            Percentiles = [.. percentiles.Select(p => new PercentileValue(p, histogram.GetValueAtPercentile(p)))],
        };
    }

    /// <summary><paramref name="micros"/>, one of this distribution's figures, as a person reads it; <see cref="Units.None"/> when it holds no call.</summary>
    public string Show(double micros) => Count == 0 ? Units.None : Units.Micros(micros);

    /// <summary>The value at <paramref name="percentile"/> as a person reads it; <see cref="Units.None"/> when the distribution holds no call.</summary>
    public string ShowAt(double percentile) => Show(At(percentile) ?? 0);

    /// <summary>The value at <paramref name="percentile"/> if the summary holds it; 100 is the max.</summary>
    public long? At(double percentile) =>
        percentile >= 100 ? Max : Percentiles.FirstOrDefault(p => Math.Abs(p.Percentile - percentile) < 1e-9)?.Micros;
}

/// <summary>One percentile of a distribution, in microseconds.</summary>
internal sealed record PercentileValue(double Percentile, long Micros);
