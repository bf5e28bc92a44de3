using PeerEngine.Load.Measurement;
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

    /// <summary>A run of the one <paramref name="scenario"/>, healthy and without thresholds.</summary>
    public static LoadResult Of(ScenarioResult scenario) => new()
    {
        Run = Info(LatencySummary.DefaultPercentiles),
        Scenarios = [scenario],
        Health = new GeneratorHealth { Hiccups = LatencySummary.Empty, Valid = true, Problems = [], Warnings = [] },
        Thresholds = [],
    };
}
