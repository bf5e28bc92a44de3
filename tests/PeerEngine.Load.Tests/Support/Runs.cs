using PeerEngine.Load.Running;

namespace PeerEngine.Load.Tests.Support;

/// <summary>Run descriptions for results built by hand.</summary>
internal static class Runs
{
    public static RunInfo Info(IReadOnlyList<double> percentiles, DateTimeOffset startedUtc = default) => new()
    {
        Title = "t",
        StartedUtc = startedUtc,
        Target = "t",
        Machine = "m",
        Os = "o",
        Runtime = "r",
        GcMode = "g",
        CommandLine = string.Empty,
        Percentiles = percentiles,
    };
}
