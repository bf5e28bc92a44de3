using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;
using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Scenarios;

/// <summary>
/// A scenario: a named async step run over and over under a plan of load simulations. Immutable;
/// each <c>With…</c> returns a changed copy, as NBomber's <c>ScenarioProps</c> does.
/// </summary>
internal sealed record ScenarioProps(string Name, Func<ScenarioContext, ValueTask<Response>> Step)
{
    /// <summary>Default warm-up, as NBomber's: long enough for JIT, pools and connections to settle.</summary>
    public static readonly TimeSpan DefaultWarmUp = TimeSpan.FromSeconds(3);

    public Func<CancellationToken, Task>? Init { get; init; }

    public Func<Task>? Clean { get; init; }

    public TimeSpan WarmUp { get; init; } = DefaultWarmUp;

    public IReadOnlyList<LoadSimulation> Simulations { get; init; } = [Simulation.KeepConstant(1, TimeSpan.FromMinutes(1))];

    public IReadOnlyList<Threshold> Thresholds { get; init; } = [];

    /// <summary>
    /// Calls in flight at most. An open-model call due while all are taken waits for one (counted as a
    /// late start, its wait part of its response time) instead of spawning without bound.
    /// </summary>
    public int MaxConcurrency { get; init; } = 10_000;

    /// <summary>
    /// How the open-model dispatcher waits. Spin by default: on a 2-core machine, sleeping in 1 ms
    /// grains cost echo runs ~0.6 ms of start lag at p50, and saved the target nothing measurable.
    /// </summary>
    public DispatchTiming Timing { get; init; } = DispatchTiming.Spin;

    /// <summary>An open-model call that could not start within this of its time is dropped and counted (k6's dropped_iterations).</summary>
    public TimeSpan MaxStartLag { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Names the error of a call that threw (by default its exception type); targets map their error codes here.</summary>
    public Func<Exception, string> ErrorCode { get; init; } = static e => e.GetType().Name;

    /// <summary>What a reader of the report needs to know about the target (shown beside the scenario).</summary>
    public string? Description { get; init; }

    public ScenarioProps WithInit(Func<CancellationToken, Task> init) => this with { Init = init };

    public ScenarioProps WithClean(Func<Task> clean) => this with { Clean = clean };

    public ScenarioProps WithWarmUpDuration(TimeSpan duration) => this with { WarmUp = duration };

    public ScenarioProps WithoutWarmUp() => this with { WarmUp = TimeSpan.Zero };

    public ScenarioProps WithLoadSimulations(params LoadSimulation[] simulations)
    {
        _ = SimulationPlan.Create(simulations);
        return this with { Simulations = simulations };
    }

    public ScenarioProps WithThresholds(params Threshold[] thresholds) => this with { Thresholds = thresholds };

    public ScenarioProps WithMaxConcurrency(int calls) =>
        this with { MaxConcurrency = calls > 0 ? calls : throw new ArgumentOutOfRangeException(nameof(calls), calls, "At least one call must be allowed in flight.") };

    public ScenarioProps WithMaxStartLag(TimeSpan lag) => this with { MaxStartLag = lag };
}
