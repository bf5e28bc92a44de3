namespace PeerEngine.Load.Live;

/// <summary>One scenario as the live view shows it after its latest interval.</summary>
/// <param name="Seconds">Measured time so far.</param>
/// <param name="Phase">The running phase's kind (inject, keep-constant, …).</param>
/// <param name="PhaseNumber">The running phase, from 1.</param>
/// <param name="PhaseProgress">How far into the running phase, 0 to 1.</param>
/// <param name="Progress">How far into the whole plan, 0 to 1.</param>
/// <param name="OkRate">Successful calls per second in the last interval.</param>
/// <param name="FailRate">Failed calls per second in the last interval.</param>
/// <param name="Planned">The calls per second the plan made due in the last interval (open model), or its copies at the interval's end (closed).</param>
/// <param name="P99">Response time p99 of the last interval, µs; null when no call in it succeeded.</param>
internal sealed record LiveRow(
    string Scenario,
    double Seconds,
    string Phase,
    int PhaseNumber,
    int Phases,
    double PhaseProgress,
    double Progress,
    bool Open,
    double OkRate,
    double FailRate,
    double Planned,
    long? P99,
    long Ok,
    long Fail,
    long Dropped);
