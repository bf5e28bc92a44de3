using System.Globalization;
using System.Net;
using PeerEngine.Load.Export;
using PeerEngine.Load.Live;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Reports;
using PeerEngine.Load.Running;
using PeerEngine.Load.Scenarios;
using PeerEngine.Load.Simulations;
using PeerEngine.Load.Targets;
using PeerEngine.Load.Workers;
using Spectre.Console;

namespace PeerEngine.Load.Cli;

/// <summary>What the command does with its settings: start the target, run, report, pick the exit code.</summary>
/// <param name="input">A worker's control pipe from its coordinator (standard input).</param>
internal sealed class LoadApp(IAnsiConsole console, TextWriter live, TextReader input)
{
    private PrometheusExport? _metrics;

    public async Task<int> RunAsync(LoadSettings settings, CancellationToken cancellationToken)
    {
        PeerEngineEchoPeer? embedded = null;
        PrometheusExport? metrics = null;
        try
        {
            if (settings.MetricsPort > 0)
            {
                try
                {
                    _metrics = metrics = PrometheusExport.Start(settings.MetricsPort);
                }
                catch (InvalidOperationException e)
                {
                    throw new UsageException(e.Message);
                }

                live.WriteLine($"metrics: {metrics.Endpoint} (Prometheus, during the run)");
            }

            IReadOnlyList<EndPoint>? endPoints = null;
            switch (settings.Target.Kind)
            {
                case TargetKind.Embedded:
                    embedded = await PeerEngineEchoPeer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0)).ConfigureAwait(false);
                    endPoints = [embedded.EndPoint];
                    live.WriteLine($"target: embedded PeerEngine echo endpoint on {embedded.EndPoint} (no --target given)");
                    break;
                case TargetKind.Tcp or TargetKind.Unix:
                    endPoints = [await settings.Target.ResolveAsync(cancellationToken).ConfigureAwait(false)];
                    break;
                case TargetKind.Registry:
                    var peers = PeerEngineClient.Discover(settings.Target.Path!, settings.Target.PeerId);
                    endPoints = peers.Count > 0
                        ? [.. peers.Select(p => p.EndPoint)]
                        : throw new UsageException(settings.Target.PeerId is null
                            ? $"{settings.Target.Text}: the registry lists no live peer."
                            : $"{settings.Target.Text}: no live peer '{settings.Target.PeerId}' in the registry.");
                    live.WriteLine($"target: {string.Join(", ", peers.Select(p => $"{p.Id} at {p.EndPoint}"))}");
                    break;
                default:
                    break;
            }

            string target = embedded is null ? settings.Target.Text : $"embedded PeerEngine echo pair ({embedded.EndPoint})";
            if (settings.FindMax is { } sla)
            {
                return await SearchAsync(settings, sla, endPoints, target, cancellationToken).ConfigureAwait(false);
            }

            if (settings.Worker is { } role)
            {
                return await WorkAsync(settings, role, endPoints, target, cancellationToken).ConfigureAwait(false);
            }

            if (settings.Workers > 0)
            {
                // The workers load the same target: the embedded pair is this process's, reached over loopback.
                IReadOnlyList<string> arguments = embedded is null ? settings.Arguments : [.. settings.Arguments, "--target", $"tcp://{embedded.EndPoint}"];
                return await CoordinateAsync(settings, arguments, target, cancellationToken).ConfigureAwait(false);
            }

            LoadResult result = await RunOnceAsync(settings, settings.Simulations, endPoints, target, quiet: settings.Quiet, startGate: null, cancellationToken).ConfigureAwait(false);
            return Report(result, settings);
        }
        finally
        {
            metrics?.Dispose();
            if (embedded is not null)
            {
                await embedded.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private int Report(LoadResult result, LoadSettings settings, string? workerFolder = null)
    {
        ConsoleReport.Write(result, console);
        IReadOnlyList<string> written = ReportWriter.Write(result, settings.ReportFolder, settings.ReportFormats);
        foreach (string path in written)
        {
            console.WriteLine($"report: {path}");
        }

        if (workerFolder is not null && written.Count > 0)
        {
            // Beside the merged report, the inputs of its merge: each worker's counts and histogram logs.
            string workers = Path.Combine(ReportWriter.RunFolder(result, settings.ReportFolder), "workers");
            Directory.Move(workerFolder, workers);
            console.WriteLine($"report: {workers}{Path.DirectorySeparatorChar} (each worker's result and histogram logs)");
        }

        return result.Passed ? ExitCodes.Passed : ExitCodes.ThresholdFailed;
    }

    /// <summary>Runs the test over worker processes and reports their merged result.</summary>
    private async Task<int> CoordinateAsync(LoadSettings settings, IReadOnlyList<string> arguments, string target, CancellationToken cancellationToken)
    {
        // Under the report folder, so the workers' files move beside the report without crossing file systems.
        string folder = settings.ReportFormats == ReportFormat.None
            ? Path.Combine(Path.GetTempPath(), $"peerengine-load-workers-{Guid.NewGuid():N}")
            : Path.Combine(settings.ReportFolder, $".workers-{Guid.NewGuid():N}");
        try
        {
            IReadOnlyList<LoadResult> workers = await new WorkerCoordinator(WorkerLauncher.ForThisTool(), live, settings.Quiet)
                .RunAsync(settings.Workers, arguments, folder, cancellationToken).ConfigureAwait(false);
            RunInfo run = workers[0].Run with
            {
                Title = Title,
                Target = target,
                CommandLine = settings.CommandLine,
                Percentiles = settings.Percentiles,
            };
            LoadResult merged = ResultMerge.Merge(workers, run, SimulationPlan.Create(settings.Simulations).ToString(), settings.Thresholds);
            return Report(merged, settings, folder);
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    /// <summary>A worker's run: its share of the plan, started with the others, written for the coordinator.</summary>
    private async Task<int> WorkAsync(LoadSettings settings, WorkerRole role, IReadOnlyList<EndPoint>? endPoints, string target, CancellationToken cancellationToken)
    {
        using var control = new WorkerControl(input, live);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, control.Stopped);

        // Thresholds are the coordinator's to judge, on the merged result.
        LoadResult result = await RunOnceAsync(
            settings with { Thresholds = [] },
            [.. settings.Simulations.Select(s => s.Share(role.Index, role.Count))],
            endPoints,
            target,
            quiet: true,
            control.ReadyAsync,
            stop.Token).ConfigureAwait(false);
        WorkerFiles.Write(result, role.Output, role.Index);
        return ExitCodes.Passed;
    }

    private async Task<LoadResult> RunOnceAsync(
        LoadSettings settings,
        IReadOnlyList<LoadSimulation> simulations,
        IReadOnlyList<EndPoint>? endPoints,
        string target,
        bool quiet,
        Func<CancellationToken, Task>? startGate,
        CancellationToken cancellationToken)
    {
        ScenarioProps[] scenarios = [.. settings.Scenarios.Select(name =>
        {
            ScenarioProps scenario = endPoints is null ? BuiltInScenarios.NoOp() : BuiltInScenarios.Create(
                    name, endPoints, settings.PayloadBytes, settings.Connections, targetInProcess: settings.Target.Kind == TargetKind.Embedded, settings.Reconnect);
            return scenario with
            {
                Simulations = simulations,
                WarmUp = settings.WarmUp,
                MaxConcurrency = settings.MaxConcurrency,
                Timing = settings.Timing ?? scenario.Timing,
            };
        })];

        LoadRunner runner = LoadRunner.RegisterScenarios(scenarios)
            .WithPercentiles(settings.Percentiles)
            .WithReportingInterval(settings.ReportingInterval)
            .WithThresholds([.. settings.Thresholds])
            .WithAbortRules([.. settings.AbortRules])
            .WithTitle(Title, target, settings.CommandLine);
        if (startGate is not null)
        {
            runner = runner.WithStartGate(startGate);
        }

        if (_metrics is not null)
        {
            runner = runner.WithMetrics(_metrics);
        }

        if (quiet)
        {
            return await runner.RunAsync(cancellationToken).ConfigureAwait(false);
        }

        var progress = new LiveProgress([.. scenarios.Select(s => (s.Name, SimulationPlan.Create(s.Simulations)))]);
        if (settings.LiveTable)
        {
            return await new LiveTableView(console, progress)
                .ShowAsync((stage, interval) => runner.WithObservers(stage, interval).RunAsync(cancellationToken))
                .ConfigureAwait(false);
        }

        var lines = new LiveLines(live, progress);
        return await runner.WithObservers(lines.Stage, lines.Interval).RunAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<int> SearchAsync(LoadSettings settings, Threshold sla, IReadOnlyList<EndPoint>? endPoints, string target, CancellationToken cancellationToken)
    {
        live.WriteLine($"searching for the highest rate that meets {sla.Text} ({settings.SearchStep.TotalSeconds:0.#} s per step)…");
        var search = new RateSearch(
            (rate, ct) => RunOnceAsync(
                settings with { WarmUp = TimeSpan.FromSeconds(1) },
                [Simulation.Inject(rate, TimeSpan.FromSeconds(1), settings.SearchStep)],
                endPoints,
                target,
                quiet: true,
                startGate: null,
                ct),
            sla)
        {
            StartRate = settings.SearchStart,
        };
        RateSearchResult result = await search.RunAsync(
            step => live.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {Units.Rate(step.Rate),10}/s → achieved {Units.Rate(step.AchievedRps),10}/s, {sla.MetricName} {step.Measured}: {(step.Passed ? "pass" : "FAIL")}{(step.Problem is null ? string.Empty : $" ({step.Problem})")}")),
            cancellationToken).ConfigureAwait(false);

        var table = new Table().Border(TableBorder.Rounded).Title($"sustainable rate search: {Markup.Escape(sla.Text)} against {Markup.Escape(target)}");
        table.AddColumns("rate tried", "achieved", "measured", "valid", "result");
        foreach (RateSearchStep step in result.Steps)
        {
            table.AddRow(Units.Rate(step.Rate), Units.Rate(step.AchievedRps), Markup.Escape(step.Measured), step.Valid ? "yes" : "no", step.Passed ? "pass" : "fail");
        }

        console.Write(table);
        console.MarkupLine($"[bold]sustainable rate: {Units.Rate(result.SustainableRate)}/s[/] ({Markup.Escape(sla.Text)}, {settings.Scenarios[0]}, {Markup.Escape(target)})");
        if (settings.ReportFormats.HasFlag(ReportFormat.Json))
        {
            Directory.CreateDirectory(settings.ReportFolder);
            string path = Path.Combine(settings.ReportFolder, $"{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}-rate-search.json");
            await File.WriteAllTextAsync(path, System.Text.Json.JsonSerializer.Serialize(result, SearchJson), cancellationToken).ConfigureAwait(false);
            console.WriteLine($"report: {path}");
        }

        return result.SustainableRate > 0 ? ExitCodes.Passed : ExitCodes.ThresholdFailed;
    }

    private const string Title = "PeerEngine load test";

    private static readonly System.Text.Json.JsonSerializerOptions SearchJson = new(System.Text.Json.JsonSerializerDefaults.Web) { WriteIndented = true };
}
