using HdrHistogram;

namespace PeerEngine.Load.Measurement;

/// <summary>One reporting interval of a scenario (1 s by default): the timeline the charts draw.</summary>
internal sealed record IntervalStats
{
    /// <summary>Seconds from the run's start to the end of the interval.</summary>
    public double EndSeconds { get; init; }

    public double Seconds { get; init; }

    public long Ok { get; init; }

    public long Fail { get; init; }

    public long Dropped { get; init; }

    public long Bytes { get; init; }

    /// <summary>Completed calls (ok and failed) per second.</summary>
    public double Rps { get; init; }

    /// <summary>Successful calls per second.</summary>
    public double OkRps { get; init; }

    /// <summary>Failed calls per second.</summary>
    public double FailRps { get; init; }

    /// <summary>Calls per second the plan made due within the interval (open model); copies running at its end (closed).</summary>
    public double Planned { get; init; }

    public long P50 { get; init; }

    public long P90 { get; init; }

    public long P99 { get; init; }

    public long Max { get; init; }

    /// <summary>Start lag (actual − intended start) of the interval's calls, µs: the generator's or the concurrency cap's delay.</summary>
    public long LagP50 { get; init; }

    public long LagP99 { get; init; }

    public long LagMax { get; init; }

    /// <summary>These stats with the start lag of <paramref name="lag"/>, the interval's start-lag histogram (0 without calls).</summary>
    public IntervalStats WithStartLag(HistogramBase lag) => lag.TotalCount == 0
        ? this with { LagP50 = 0, LagP99 = 0, LagMax = 0 }
        : this with { LagP50 = lag.GetValueAtPercentile(50), LagP99 = lag.GetValueAtPercentile(99), LagMax = lag.GetMaxValue() };

    /// <summary>These counts with the latencies of <paramref name="response"/>, the interval's response-time histogram.</summary>
    public IntervalStats WithLatencies(HistogramBase response) => response.TotalCount == 0
        ? this with { P50 = 0, P90 = 0, P99 = 0, Max = 0 }
        : this with
        {
            P50 = response.GetValueAtPercentile(50),
            P90 = response.GetValueAtPercentile(90),
            P99 = response.GetValueAtPercentile(99),
            Max = response.GetMaxValue(),
        };
}
