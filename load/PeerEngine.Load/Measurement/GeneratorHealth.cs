namespace PeerEngine.Load.Measurement;

/// <summary>How the load generator itself fared: whether its numbers can be trusted.</summary>
internal sealed record GeneratorHealth
{
    /// <summary>Overshoot of 1 ms sleeps in microseconds (the hiccup meter).</summary>
    public required LatencySummary Hiccups { get; init; }

    public double GcPauseMilliseconds { get; init; }

    public int Gen0Collections { get; init; }

    public int Gen1Collections { get; init; }

    public int Gen2Collections { get; init; }

    /// <summary>The generator process's CPU use, as a share of the whole machine (100% = every core busy).</summary>
    public double CpuPercent { get; init; }

    public int ProcessorCount { get; init; }

    /// <summary>False when a target rate was not achieved or calls were dropped: the latencies describe a different load.</summary>
    public bool Valid { get; init; }

    public required IReadOnlyList<string> Problems { get; init; }

    public required IReadOnlyList<string> Warnings { get; init; }
}
