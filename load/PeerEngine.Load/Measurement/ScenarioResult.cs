using System.Text.Json.Serialization;

namespace PeerEngine.Load.Measurement;

/// <summary>Everything measured for one scenario: the unit every report format renders.</summary>
internal sealed record ScenarioResult
{
    public required string Name { get; init; }

    public string? Description { get; init; }

    /// <summary>"open" or "closed".</summary>
    public required string Model { get; init; }

    public required string Plan { get; init; }

    public double DurationSeconds { get; init; }

    /// <summary>Calls the open plan scheduled (0 for closed plans).</summary>
    public long Scheduled { get; init; }

    /// <summary>Calls per second the open plan asked for on average (0 for closed plans).</summary>
    public double TargetRps { get; init; }

    public long Ok { get; init; }

    public long Fail { get; init; }

    /// <summary>Open-model calls never started because they were later than the maximum start lag.</summary>
    public long Dropped { get; init; }

    /// <summary>Open-model calls that had to wait for a free slot under the concurrency cap.</summary>
    public long Late { get; init; }

    public long Bytes { get; init; }

    /// <summary>Completed calls (ok and failed) per second.</summary>
    public double Rps { get; init; }

    /// <summary>Successful calls per second: the throughput a reader takes from a rate.</summary>
    public double OkRps { get; init; }

    /// <summary>Failed calls per second, shown beside <see cref="OkRps"/> so failing fast never passes for throughput.</summary>
    public double FailRps { get; init; }

    public double BytesPerSecond { get; init; }

    /// <summary>Failed calls as a fraction of completed ones.</summary>
    public double FailRate { get; init; }

    /// <summary>Ok calls, from the intended start to the end: the primary figure.</summary>
    public required LatencySummary ResponseTime { get; init; }

    /// <summary>Ok calls, from the actual start to the end: what a tool without coordinated-omission correction reports.</summary>
    public required LatencySummary ServiceTime { get; init; }

    /// <summary>How late calls started against their intended time.</summary>
    public required LatencySummary StartLag { get; init; }

    /// <summary>Failed calls, from the intended start to the end.</summary>
    public required LatencySummary FailResponseTime { get; init; }

    public required IReadOnlyDictionary<string, long> ErrorsByCode { get; init; }

    public required IReadOnlyDictionary<string, long> ErrorsByType { get; init; }

    /// <summary>Each kind of failure (code and exception type) with a sample message and its first and last occurrence; most frequent first.</summary>
    public IReadOnlyList<ErrorTally> Errors { get; init; } = [];

    public required IReadOnlyList<IntervalStats> Intervals { get; init; }

    /// <summary>The response time of successful calls in 1-2-5 buckets, for the histogram chart.</summary>
    public IReadOnlyList<LatencyBucket> ResponseBuckets { get; init; } = [];

    /// <summary>The percentile spectrum of response and service time, for the distribution chart.</summary>
    public required IReadOnlyList<SpectrumPoint> Spectrum { get; init; }

    /// <summary>What a reader must know to trust the numbers (e.g. coordinated omission in a closed model).</summary>
    public required IReadOnlyList<string> Notes { get; init; }

    /// <summary>The interval histograms of response time as an HdrHistogram log, for exact merging across workers.</summary>
    [JsonIgnore]
    public byte[]? HistogramLog { get; init; }
}

/// <summary>Response and service time at one percentile, in microseconds.</summary>
internal sealed record SpectrumPoint(double Percentile, long ResponseMicros, long ServiceMicros);
