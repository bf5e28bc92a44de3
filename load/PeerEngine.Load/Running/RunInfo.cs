using System.Text.Json.Serialization;

namespace PeerEngine.Load.Running;

/// <summary>Where, when and how the run was made: what a reader needs to reproduce or compare it.</summary>
internal sealed record RunInfo
{
    public required string Title { get; init; }

    public DateTimeOffset StartedUtc { get; init; }

    public double DurationSeconds { get; init; }

    public required string Target { get; init; }

    public required string Machine { get; init; }

    public required string Os { get; init; }

    public required string Runtime { get; init; }

    public int ProcessorCount { get; init; }

    public required string GcMode { get; init; }

    public required string CommandLine { get; init; }

    public double ReportingIntervalSeconds { get; init; }

    public required IReadOnlyList<double> Percentiles { get; init; }

    /// <summary>Worker processes whose results were merged into this one; 0 when the run was made in one process.</summary>
    public int Workers { get; init; }

    /// <summary>", N worker processes" when the run was spread over workers, for the reports' headers.</summary>
    [JsonIgnore]
    public string WorkersText => Workers > 0 ? $", {Workers} worker processes" : string.Empty;
}
