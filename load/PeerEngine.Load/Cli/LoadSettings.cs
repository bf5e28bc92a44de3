using PeerEngine.Load.Measurement;
using PeerEngine.Load.Reports;
using PeerEngine.Load.Running;
using PeerEngine.Load.Simulations;
using PeerEngine.Load.Targets;
using PeerEngine.Load.Workers;

namespace PeerEngine.Load.Cli;

/// <summary>A run as the command line described it, checked and parsed.</summary>
internal sealed record LoadSettings
{
    public required TargetAddress Target { get; init; }

    public required IReadOnlyList<string> Scenarios { get; init; }

    public required IReadOnlyList<LoadSimulation> Simulations { get; init; }

    public TimeSpan WarmUp { get; init; }

    public int PayloadBytes { get; init; }

    public int Connections { get; init; }

    public int MaxConcurrency { get; init; }

    /// <summary>How links dial the target again after losing it.</summary>
    public Reconnect Reconnect { get; init; } = Reconnect.Default;

    /// <summary>The loopback port of the live Prometheus endpoint; 0 for none.</summary>
    public int MetricsPort { get; init; }

    public required IReadOnlyList<double> Percentiles { get; init; }

    public TimeSpan ReportingInterval { get; init; }

    public required string ReportFolder { get; init; }

    public ReportFormat ReportFormats { get; init; }

    public required IReadOnlyList<Threshold> Thresholds { get; init; }

    /// <summary>Rules that stop the run early when they hold.</summary>
    public IReadOnlyList<Threshold> AbortRules { get; init; } = [];

    /// <summary>When set, search for the highest rate that meets this threshold instead of one run.</summary>
    public Threshold? FindMax { get; init; }

    /// <summary>How long each step of the rate search runs.</summary>
    public TimeSpan SearchStep { get; init; }

    /// <summary>The first rate the search tries.</summary>
    public double SearchStart { get; init; } = 1000;

    /// <summary>The dispatcher's waiting; null for the scenario default.</summary>
    public DispatchTiming? Timing { get; init; }

    public bool Quiet { get; init; }

    /// <summary>The live view as a table redrawn in place (a terminal), rather than a line per interval.</summary>
    public bool LiveTable { get; init; }

    /// <summary>Worker processes to spread the load over; 0 runs it in this process.</summary>
    public int Workers { get; init; }

    /// <summary>Set in a worker process: its share and where its results go.</summary>
    public WorkerRole? Worker { get; init; }

    public required string CommandLine { get; init; }

    /// <summary>The arguments as given, which a coordinator passes on to its workers.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>The plan with no <c>--simulation</c>: a ramp to the rate, then the rate for the duration.</summary>
    public static IReadOnlyList<LoadSimulation> DefaultPlan(double rate, TimeSpan duration)
    {
        TimeSpan ramp = TimeSpan.FromSeconds(Math.Min(5, duration.TotalSeconds / 4));
        return
        [
            Simulation.RampingInject(rate, TimeSpan.FromSeconds(1), ramp),
            Simulation.Inject(rate, TimeSpan.FromSeconds(1), duration),
        ];
    }
}
