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

    /// <summary>Calls per second the plan asked for at the end of the interval (open model); copies running (closed).</summary>
    public double Planned { get; init; }

    public long P50 { get; init; }

    public long P90 { get; init; }

    public long P99 { get; init; }

    public long Max { get; init; }
}
