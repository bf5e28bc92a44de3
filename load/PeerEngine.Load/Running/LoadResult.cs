using PeerEngine.Load.Measurement;

namespace PeerEngine.Load.Running;

/// <summary>A finished run: what every report renders and what tests assert on, NBomber-style.</summary>
internal sealed record LoadResult
{
    public required RunInfo Run { get; init; }

    public required IReadOnlyList<ScenarioResult> Scenarios { get; init; }

    public required GeneratorHealth Health { get; init; }

    public required IReadOnlyList<ThresholdResult> Thresholds { get; init; }

    /// <summary>Why an abort rule stopped the run early (which rule, on which scenario, when), or null.</summary>
    public string? Aborted { get; init; }

    /// <summary>True when every threshold held and no abort rule stopped the run.</summary>
    public bool Passed => Aborted is null && Thresholds.All(t => t.Passed);

    public ScenarioResult Scenario(string name) =>
        Scenarios.FirstOrDefault(s => s.Name == name) ?? throw new KeyNotFoundException($"No scenario named '{name}' ran.");
}
