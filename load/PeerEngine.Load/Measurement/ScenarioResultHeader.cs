namespace PeerEngine.Load.Measurement;

/// <summary>What a scenario's result says besides its measurements.</summary>
internal sealed record ScenarioResultHeader(
    string Name,
    string? Description,
    string Model,
    string Plan,
    double DurationSeconds,
    long Scheduled,
    double TargetRps,
    IReadOnlyList<string> Notes);
