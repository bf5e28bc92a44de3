using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using PeerEngine.Load.Export;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Scenarios;
using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Running;

/// <summary>
/// Runs scenarios side by side (NBomber's <c>NBomberRunner</c>): init, warm-up (measured, then
/// discarded), the measured run with a sample every reporting interval, clean-up, then thresholds
/// and the generator's own health.
/// </summary>
internal sealed class LoadRunner
{
    private readonly IReadOnlyList<ScenarioProps> _scenarios;

    private LoadRunner(IReadOnlyList<ScenarioProps> scenarios)
    {
        _scenarios = scenarios;
    }

    public TimeProvider Time { get; private init; } = TimeProvider.System;

    public TimeSpan ReportingInterval { get; private init; } = TimeSpan.FromSeconds(1);

    public IReadOnlyList<double> Percentiles { get; private init; } = LatencySummary.DefaultPercentiles;

    public IReadOnlyList<Threshold> Thresholds { get; private init; } = [];

    /// <summary>Rules that stop the run early when they hold (see <see cref="AbortWatch"/>).</summary>
    public IReadOnlyList<Threshold> AbortRules { get; private init; } = [];

    public string Title { get; private init; } = "PeerEngine load test";

    public string Target { get; private init; } = "in-process";

    public string CommandLine { get; private init; } = string.Join(' ', Environment.GetCommandLineArgs().Skip(1));

    /// <summary>Called after each interval with the scenario and its stats (the live view).</summary>
    public Action<string, IntervalStats>? OnInterval { get; private init; }

    /// <summary>Called when a stage starts ("warm-up", "run", "clean").</summary>
    public Action<string>? OnStage { get; private init; }

    /// <summary>The live Prometheus endpoint the measured run's calls and intervals go to, or null.</summary>
    public PrometheusExport? Metrics { get; private init; }

    /// <summary>Awaited between the warm-up and the measured run: worker processes start measuring together.</summary>
    public Func<CancellationToken, Task>? StartGate { get; private init; }

    public static LoadRunner RegisterScenarios(params ScenarioProps[] scenarios)
    {
        if (scenarios.Length == 0)
        {
            throw new ArgumentException("Register at least one scenario.", nameof(scenarios));
        }

        string? duplicate = scenarios.GroupBy(s => s.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1)?.Key;
        return duplicate is null
            ? new LoadRunner(scenarios)
            : throw new ArgumentException($"Two scenarios are named '{duplicate}'.", nameof(scenarios));
    }

    public LoadRunner WithTimeProvider(TimeProvider time) => Copy(time: time);

    public LoadRunner WithReportingInterval(TimeSpan interval) =>
        interval > TimeSpan.Zero ? Copy(interval: interval) : throw new ArgumentOutOfRangeException(nameof(interval));

    public LoadRunner WithPercentiles(IReadOnlyList<double> percentiles) =>
        percentiles.All(p => p is > 0 and < 100) && percentiles.Count > 0
            ? Copy(percentiles: [.. percentiles.Order()])
            : throw new ArgumentException("Percentiles lie between 0 and 100 (max is always reported).", nameof(percentiles));

    public LoadRunner WithThresholds(params Threshold[] thresholds) => Copy(thresholds: thresholds);

    public LoadRunner WithAbortRules(params Threshold[] rules) => Copy(abortRules: rules);

    public LoadRunner WithTitle(string title, string target, string commandLine) => Copy(title: title, target: target, commandLine: commandLine);

    public LoadRunner WithObservers(Action<string>? onStage, Action<string, IntervalStats>? onInterval) => Copy(onStage: onStage, onInterval: onInterval);

    public LoadRunner WithStartGate(Func<CancellationToken, Task> gate) => Copy(startGate: gate);

    public LoadRunner WithMetrics(PrometheusExport metrics) => Copy(metrics: metrics);

    public async Task<LoadResult> RunAsync(CancellationToken cancellationToken = default)
    {
        SimulationPlan[] plans = [.. _scenarios.Select(s => SimulationPlan.Create(s.Simulations))];
        try
        {
            // Inside the try: when one scenario cannot connect, the others' clients are still cleaned.
            foreach (ScenarioProps scenario in _scenarios)
            {
                if (scenario.Init is { } init)
                {
                    await init(cancellationToken).ConfigureAwait(false);
                }
            }

            if (_scenarios.Any(s => s.WarmUp > TimeSpan.Zero))
            {
                OnStage?.Invoke("warm-up");
                await Task.WhenAll(_scenarios.Select((s, i) => s.WarmUp > TimeSpan.Zero
                    ? RunScenarioAsync(s, plans[i].Truncate(s.WarmUp), Time.GetTimestamp(), DateTimeOffset.UtcNow, watch: null, cancellationToken)
                    : Task.FromResult<ScenarioResult?>(null))).ConfigureAwait(false);
            }

            if (StartGate is { } gate)
            {
                await gate(cancellationToken).ConfigureAwait(false);
            }

            OnStage?.Invoke("run");
            return await MeasureAsync(plans, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            OnStage?.Invoke("clean");
            foreach (ScenarioProps scenario in _scenarios)
            {
                if (scenario.Clean is { } clean)
                {
                    await clean().ConfigureAwait(false);
                }
            }
        }
    }

    private async Task<LoadResult> MeasureAsync(SimulationPlan[] plans, CancellationToken cancellationToken)
    {
        using var hiccups = new HiccupMeter();
        hiccups.Start();
        TimeSpan gcBefore = GC.GetTotalPauseDuration();
        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        long wallBefore = Stopwatch.GetTimestamp();

        DateTimeOffset startedUtc = DateTimeOffset.UtcNow;
        long start = Time.GetTimestamp();
        using var watch = new AbortWatch(AbortRules, cancellationToken);
        ScenarioResult?[] results = await Task.WhenAll(_scenarios.Select((s, i) =>
            RunScenarioAsync(s, plans[i], start, startedUtc, watch, cancellationToken))).ConfigureAwait(false);
        double seconds = Time.GetElapsedTime(start).TotalSeconds;

        LatencySummary hiccupSummary = hiccups.Stop();
        double cpuPercent = 100 * (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds
            / Math.Max(Stopwatch.GetElapsedTime(wallBefore).TotalSeconds, 1e-9) / Environment.ProcessorCount;
        ScenarioResult[] scenarios = [.. results.OfType<ScenarioResult>()];

        ThresholdResult[] thresholds = [.. scenarios.SelectMany((s, i) => Threshold.EvaluateAll([.. _scenarios[i].Thresholds, .. Thresholds], s))];

        (List<string> problems, List<string> warnings) = RunValidity.Judge(scenarios, hiccupSummary, cpuPercent, CpuUser(), Environment.ProcessorCount);
        return new LoadResult
        {
            Run = new RunInfo
            {
                Title = Title,
                StartedUtc = startedUtc,
                DurationSeconds = Math.Round(seconds, 6),
                Target = Target,
                Machine = Environment.MachineName,
                Os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                Runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
                ProcessorCount = Environment.ProcessorCount,
                GcMode = (GCSettings.IsServerGC ? "server" : "workstation") + (GCSettings.LatencyMode == GCLatencyMode.Interactive ? ", concurrent" : string.Empty),
                CommandLine = CommandLine,
                ReportingIntervalSeconds = ReportingInterval.TotalSeconds,
                Percentiles = Percentiles,
            },
            Scenarios = scenarios,
            Health = new GeneratorHealth
            {
                Hiccups = hiccupSummary,
                GcPauseMilliseconds = Math.Round((GC.GetTotalPauseDuration() - gcBefore).TotalMilliseconds, 3),
                Gen0Collections = GC.CollectionCount(0) - collectionsBefore[0],
                Gen1Collections = GC.CollectionCount(1) - collectionsBefore[1],
                Gen2Collections = GC.CollectionCount(2) - collectionsBefore[2],
                CpuPercent = Math.Round(cpuPercent, 1),
                ProcessorCount = Environment.ProcessorCount,
                Valid = problems.Count == 0,
                Problems = problems,
                Warnings = warnings,
            },
            Thresholds = thresholds,
            Aborted = watch.Reason,
        };
    }

    private async Task<ScenarioResult?> RunScenarioAsync(
        ScenarioProps scenario, SimulationPlan plan, long start, DateTimeOffset startedUtc, AbortWatch? watch, CancellationToken cancellationToken)
    {
        // Measured runs are sampled (and may be aborted); warm-ups are not.
        CancellationToken dispatch = watch?.Token ?? cancellationToken;
        using var recorder = new ScenarioRecorder(Time.TimestampFrequency, startedUtc, start)
        {
            ResponseObserver = watch is null ? null : Metrics?.ResponseRecorder(scenario.Name),
        };
        var invoker = new CallInvoker(scenario, recorder, Time, cancellationToken);
        OpenModelDriver? open = plan.Model == LoadModel.Open
            ? new OpenModelDriver(plan, invoker, Time, scenario.MaxConcurrency, scenario.MaxStartLag, scenario.Timing)
            : null;
        double seconds;
        try
        {
            Task running = open is not null
                ? open.RunAsync(start, dispatch)
                : Task.Run(() => new ClosedModelDriver(plan, invoker, Time).RunAsync(start, dispatch), cancellationToken);
            double? sampledTo = null;
            if (watch is not null)
            {
                try
                {
                    sampledTo = await SampleUntilDoneAsync(scenario, plan, recorder, start, running, watch).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // The sampler is the generator's (the live view, the histogram log): its failure stops and marks the run, it never abandons the calls in flight.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    watch.Stop(GeneratorFailure(scenario, start, e));
                }
            }

            // Whatever stopped the run, the calls in flight finish and are recorded before anything is disposed.
            await running.ConfigureAwait(false);
            seconds = sampledTo ?? Time.GetElapsedTime(start).TotalSeconds;
        }
        finally
        {
            if (open is not null)
            {
                await open.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (open?.GeneratorError is { } failed)
        {
            string reason = GeneratorFailure(scenario, start, failed);
            _ = watch ?? throw new GeneratorFailedException($"warm-up: {reason}", failed);
            watch.Stop(reason);
        }

        if (watch is null)
        {
            return null;
        }

        bool isOpen = open is not null;

        // Stopped early (an abort rule, Ctrl+C, a generator failure), only what came due before the stop
        // was scheduled: the whole plan's count would call the run short of calls it never asked for.
        long scheduled = open?.Scheduled ?? 0;
        double planned = Math.Min(plan.Duration.TotalSeconds, seconds);
        var notes = new List<string>();
        if (!isOpen)
        {
            notes.Add("closed model: each copy waits for its answer before the next call, so a stalled target is under-sampled (coordinated omission); response time equals service time. Use an inject simulation for honest latency.");
        }

        return recorder.Finish(
            new ScenarioResultHeader(
                scenario.Name,
                scenario.Description,
                isOpen ? "open" : "closed",
                plan.ToString(),
                seconds,
                scheduled,
                isOpen && planned > 0 ? scheduled / planned : 0,
                notes),
            Percentiles);
    }

    /// <summary>
    /// Samples an interval at every interval's end until the driver is done, checking the abort rules
    /// each time, then the last (partial) interval; returns when that ended, in seconds from the start.
    /// </summary>
    private async Task<double> SampleUntilDoneAsync(ScenarioProps scenario, SimulationPlan plan, ScenarioRecorder recorder, long start, Task running, AbortWatch watch)
    {
        for (long next = 1; !running.IsCompleted; next++)
        {
            TimeSpan due = (ReportingInterval * next) - Time.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
            {
                // Not tied to the caller's token: once stopped, the driver finishes and wakes this, so a
                // cancelled delay cannot spin out sample after sample of intervals not yet reached.
                using var tick = new CancellationTokenSource();
                Task delay = Task.Delay(due, Time, tick.Token);
                await Task.WhenAny(running, delay).ConfigureAwait(false);
                await tick.CancelAsync().ConfigureAwait(false);
                if (running.IsCompleted)
                {
                    break;
                }
            }

            Sample(scenario, plan, recorder, (ReportingInterval * next).TotalSeconds);
            watch.Check(scenario.Name, recorder.Intervals);
        }

        await running.ConfigureAwait(false);
        double seconds = Time.GetElapsedTime(start).TotalSeconds;
        Sample(scenario, plan, recorder, seconds);
        return seconds;
    }

    /// <summary>Whose CPU the run's figure is: this process, by name and id, and what runs in it.</summary>
    private static string CpuUser()
    {
        using var self = Process.GetCurrentProcess();
        return $"the load tool's process ({self.ProcessName}, pid {Environment.ProcessId}: the generator, and the target when embedded)";
    }

    private string GeneratorFailure(ScenarioProps scenario, long start, Exception error) =>
        string.Create(CultureInfo.InvariantCulture, $"generator failure on {scenario.Name} at {Time.GetElapsedTime(start).TotalSeconds:0.#} s: {GeneratorErrors.Describe(error)}");

    private void Sample(ScenarioProps scenario, SimulationPlan plan, ScenarioRecorder recorder, double endSeconds)
    {
        // Open: the calls due within the interval over its length, not the rate at its end, which on a
        // ramp runs ahead of what was scheduled and draws a false gap to the achieved rate. Closed: the
        // copies at its end; the last interval may run past the plan while calls drain and reports the
        // final copies.
        TimeSpan at = TimeSpan.FromSeconds(Math.Max(0, Math.Min(endSeconds, plan.Duration.TotalSeconds) - 1e-6));
        double planned = plan.Model == LoadModel.Open ? plan.PlannedRate(recorder.SampledTo, endSeconds) : plan.CopiesAt(at);
        IntervalStats stats = recorder.Sample(endSeconds, planned);
        Metrics?.Interval(scenario.Name, stats, plan.Model == LoadModel.Open ? planned * stats.Seconds : 0);
        OnInterval?.Invoke(scenario.Name, stats);
    }

    private LoadRunner Copy(
        TimeProvider? time = null,
        TimeSpan? interval = null,
        IReadOnlyList<double>? percentiles = null,
        IReadOnlyList<Threshold>? thresholds = null,
        string? title = null,
        string? target = null,
        string? commandLine = null,
        Action<string>? onStage = null,
        Action<string, IntervalStats>? onInterval = null,
        Func<CancellationToken, Task>? startGate = null,
        IReadOnlyList<Threshold>? abortRules = null,
        PrometheusExport? metrics = null) => new(_scenarios)
        {
            Time = time ?? Time,
            ReportingInterval = interval ?? ReportingInterval,
            Percentiles = percentiles ?? Percentiles,
            Thresholds = thresholds ?? Thresholds,
            Title = title ?? Title,
            Target = target ?? Target,
            CommandLine = commandLine ?? CommandLine,
            OnStage = onStage ?? OnStage,
            OnInterval = onInterval ?? OnInterval,
            StartGate = startGate ?? StartGate,
            AbortRules = abortRules ?? AbortRules,
            Metrics = metrics ?? Metrics,
        };
}
