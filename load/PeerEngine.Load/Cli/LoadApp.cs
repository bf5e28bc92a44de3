using System.Globalization;
using System.Net;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Reports;
using PeerEngine.Load.Running;
using PeerEngine.Load.Scenarios;
using PeerEngine.Load.Simulations;
using PeerEngine.Load.Targets;
using Spectre.Console;

namespace PeerEngine.Load.Cli;

/// <summary>What the command does with its settings: start the target, run, report, pick the exit code.</summary>
internal sealed class LoadApp(IAnsiConsole console, TextWriter live)
{
    public async Task<int> RunAsync(LoadSettings settings, CancellationToken cancellationToken)
    {
        PeerEngineEchoPeer? embedded = null;
        try
        {
            IReadOnlyList<EndPoint>? endPoints = null;
            switch (settings.Target.Kind)
            {
                case TargetKind.Embedded:
                    embedded = PeerEngineEchoPeer.Start(new IPEndPoint(IPAddress.Loopback, 0));
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

            LoadResult result = await RunOnceAsync(settings, settings.Simulations, endPoints, target, quiet: settings.Quiet, cancellationToken).ConfigureAwait(false);
            ConsoleReport.Write(result, console);
            foreach (string path in ReportWriter.Write(result, settings.ReportFolder, settings.ReportFormats))
            {
                console.WriteLine($"report: {path}");
            }

            return result.Passed ? ExitCodes.Passed : ExitCodes.ThresholdFailed;
        }
        finally
        {
            if (embedded is not null)
            {
                await embedded.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<LoadResult> RunOnceAsync(
        LoadSettings settings, IReadOnlyList<LoadSimulation> simulations, IReadOnlyList<EndPoint>? endPoints, string target, bool quiet, CancellationToken cancellationToken)
    {
        ScenarioProps[] scenarios = [.. settings.Scenarios.Select(name =>
        {
            ScenarioProps scenario = endPoints is null ? BuiltInScenarios.NoOp() : BuiltInScenarios.Create(name, endPoints, settings.PayloadBytes, settings.Connections);
            return scenario with
            {
                Simulations = simulations,
                WarmUp = settings.WarmUp,
                MaxConcurrency = settings.MaxConcurrency,
                Timing = settings.Timing ?? scenario.Timing,
            };
        })];

        var plannedSeconds = scenarios.ToDictionary(s => s.Name, s => SimulationPlan.Create(s.Simulations).Duration.TotalSeconds, StringComparer.Ordinal);
        var view = new LiveView(live, plannedSeconds);
        LoadRunner runner = LoadRunner.RegisterScenarios(scenarios)
            .WithPercentiles(settings.Percentiles)
            .WithReportingInterval(settings.ReportingInterval)
            .WithThresholds([.. settings.Thresholds])
            .WithTitle("PeerEngine load test", target, settings.CommandLine);
        if (!quiet)
        {
            runner = runner.WithObservers(view.Stage, view.Interval);
        }

        return await runner.RunAsync(cancellationToken).ConfigureAwait(false);
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

    private static readonly System.Text.Json.JsonSerializerOptions SearchJson = new(System.Text.Json.JsonSerializerDefaults.Web) { WriteIndented = true };
}
