using System.CommandLine;
using System.Globalization;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Reports;
using PeerEngine.Load.Running;
using PeerEngine.Load.Scenarios;
using PeerEngine.Load.Simulations;
using PeerEngine.Load.Targets;
using PeerEngine.Load.Workers;
using Spectre.Console;

namespace PeerEngine.Load.Cli;

/// <summary>The command line (System.CommandLine): options, their defaults, and one-line errors.</summary>
internal static class LoadCommand
{
    /// <param name="input">Read by a worker process only: its coordinator's instructions (standard input).</param>
    public static async Task<int> InvokeAsync(
        string[] args, IAnsiConsole console, TextWriter output, TextWriter error, TextReader? input = null, CancellationToken cancellationToken = default)
    {
        string[] given = args;
        var target = new Option<string?>("--target", "-t")
        {
            Description = "tcp://host:port, unix:/path, registry:/path/file (all live peers) or registry:/path/file#id, or noop (the generator alone). None: an embedded PeerEngine echo pair in this process.",
        };
        var scenario = new Option<string[]>("--scenario", "-s")
        {
            Description = $"Built-in scenario, repeat to run several at once: {string.Join(", ", BuiltInScenarios.Names)}.",
            DefaultValueFactory = _ => ["echo"],
        };
        var simulation = new Option<string[]>("--simulation")
        {
            Description = "Load phase, repeat to chain: inject:rate=20000,interval=1s,during=30s | ramping-inject:… | inject-random:min=1000,max=5000,interval=1s,during=30s[,seed=1] | iterations-for-inject:rate=1000,interval=1s,iterations=50000 | keep-constant:copies=10,during=30s | ramping-constant:… | iterations-for-constant:copies=10,iterations=100000 | pause:during=5s. Default: a ramp to --rate, then --rate for --duration.",
        };
        var rate = new Option<double>("--rate", "-r") { Description = "Calls per second of the default plan.", DefaultValueFactory = _ => 5000 };
        var duration = new Option<string>("--duration", "-d") { Description = "Length of the default plan's steady phase.", DefaultValueFactory = _ => "15s" };
        var warmUp = new Option<string>("--warm-up") { Description = "Warm-up before measuring (0s for none).", DefaultValueFactory = _ => "3s" };
        var payload = new Option<int>("--payload", "-p") { Description = "Payload bytes per request or message.", DefaultValueFactory = _ => 64 };
        var connections = new Option<int>("--connections", "-c") { Description = "Connections per scenario.", DefaultValueFactory = _ => 4 };
        var maxConcurrency = new Option<int>("--max-concurrency") { Description = "Calls in flight at most per scenario; due calls over it start late and count.", DefaultValueFactory = _ => 10_000 };
        var percentiles = new Option<string>("--percentiles") { Description = "Percentiles to report (max always is).", DefaultValueFactory = _ => "50,90,99,99.9,99.99" };
        var interval = new Option<string>("--interval") { Description = "Reporting interval of the timeline.", DefaultValueFactory = _ => "1s" };
        var reportFolder = new Option<string>("--report-folder", "-o") { Description = "Where report files go.", DefaultValueFactory = _ => ReportWriter.DefaultFolder };
        var reportFormat = new Option<string[]>("--report-format", "-f") { Description = "md, csv, json, html, hlog, all or none; repeat or comma-separate.", DefaultValueFactory = _ => ["all"] };
        var threshold = new Option<string[]>("--threshold")
        {
            Description = "Pass/fail rule, repeat for more: p99<5ms, p99.9<=2ms, mean<1ms, max<100ms, errors<0.1%, fail-count=0, rps>=19000 (successful calls/s), dropped=0, scoped as echo:p99<5ms. A broken one exits with 2.",
        };
        var abortWhen = new Option<string[]>("--abort-when")
        {
            Description = "Stop the run early when this holds, checked every interval, repeat for more: errors>50% or fail-count>=1000 or dropped>0 (so far), p99>100ms, max>1s or rps<100 (last interval; rps counts successful calls), scoped as echo:errors>10%. The run is marked aborted and exits with 2.",
        };
        var findMax = new Option<string?>("--find-max") { Description = "Search the highest rate meeting this threshold (e.g. p99<1ms) instead of one run." };
        var searchStep = new Option<string>("--search-step") { Description = "Length of each rate-search step.", DefaultValueFactory = _ => "5s" };
        var searchStart = new Option<double>("--search-start") { Description = "First rate the search tries; it doubles from there.", DefaultValueFactory = _ => 1000 };
        var timing = new Option<string?>("--timing")
        {
            Description = "How calls wait for their time: spin (µs-precise starts, a busy core; the default) or sleep (1 ms grain, no busy core).",
        };
        var reconnectBackoff = new Option<string>("--reconnect-backoff")
        {
            Description = "After a lost connection, the wait before dialling the target again; it doubles with each failed dial. Calls meanwhile fail at once (an outage shows as errors, then recovery).",
            DefaultValueFactory = _ => "50ms",
        };
        var maxReconnectBackoff = new Option<string>("--max-reconnect-backoff")
        {
            Description = "The longest wait between dials of a target that stays away.",
            DefaultValueFactory = _ => "2s",
        };
        var metricsPort = new Option<int>("--metrics-port")
        {
            Description = "Serve live Prometheus metrics on http://127.0.0.1:PORT/metrics during the run (calls ok, failed and planned per scenario, response-time histograms). 0: none.",
        };
        var quiet = new Option<bool>("--quiet", "-q") { Description = "No live view while running." };
        var noLive = new Option<bool>("--no-live")
        {
            Description = "A plain line per interval instead of the live table (the default when output is not a terminal).",
        };
        var config = new Option<string?>("--config")
        {
            Description = "A JSON file of settings named as these options are (e.g. {\"target\": \"tcp://host:7000\", \"warm-up\": \"5s\", \"threshold\": [\"p99<5ms\"]}); options given here win.",
        };
        var workers = new Option<int>("--workers", "-w")
        {
            Description = "Spread the load over this many worker processes of this tool (each runs its share: the rate divided, or the copies); their histograms are merged exactly. 0: this process.",
        };

        // A worker is this tool started by a coordinator: the same options, plus its share and where its results go.
        var workerIndex = new Option<int>("--index") { Required = true };
        var workerCount = new Option<int>("--count") { Required = true };
        var workerOutput = new Option<string>("--output") { Required = true };
        var worker = new Command("worker", "A worker process of a --workers run (started by the coordinator).") { Hidden = true };
        worker.Options.Add(workerIndex);
        worker.Options.Add(workerCount);
        worker.Options.Add(workerOutput);

        var root = new RootCommand("PeerEngine.Load: drives PeerEngine endpoints at a planned rate and reports honest latency (from the intended start, HdrHistogram, µs).")
        {
            worker,
        };
        foreach (Option option in new Option[]
        {
            target, scenario, simulation, rate, duration, warmUp, payload, connections, maxConcurrency, percentiles, interval,
            reportFolder, reportFormat, threshold, abortWhen, findMax, searchStep, searchStart, timing, quiet, noLive, workers, config,
            reconnectBackoff, maxReconnectBackoff, metricsPort,
        })
        {
            // Recursive: a worker takes the run's own arguments after its role.
            option.Recursive = true;
            root.Options.Add(option);
        }

        root.SetAction(Run);
        worker.SetAction(Run);

        ParseResult parsed = root.Parse(args);
        if (parsed.Errors.Count == 0 && parsed.GetValue(config) is { } file)
        {
            // The file's settings go before the command line's, and only those the command line does not give.
            try
            {
                HashSet<string> names = [.. root.Options.Where(o => o.Recursive && o is not System.CommandLine.Help.HelpOption).Select(o => o.Name.TrimStart('-'))];
                HashSet<string> present = [.. root.Options.Where(o => parsed.GetResult(o) is { Implicit: false }).Select(o => o.Name.TrimStart('-'))];
                args = [.. ConfigFile.ToArguments(file, names, present), .. args];
            }
            catch (UsageException e)
            {
                await error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }

            parsed = root.Parse(args);
        }

        if (parsed.Errors.Count > 0)
        {
            await error.WriteLineAsync($"error: {parsed.Errors[0].Message} (see --help)").ConfigureAwait(false);
            return ExitCodes.Error;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken).ConfigureAwait(false);

        async Task<int> Run(ParseResult parse, CancellationToken ct)
        {
            LoadSettings settings;
            try
            {
                settings = Settings(parse);
            }
            catch (Exception e) when (e is FormatException or ArgumentException or UsageException)
            {
                await error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }

            try
            {
                return await new LoadApp(console, output, input ?? Console.In).RunAsync(settings, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is UsageException or WorkerFailedException or GeneratorFailedException)
            {
                await error.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }
            catch (Exception e) when (GeneratorErrors.IsGeneratorFailure(e))
            {
                // The tool's own limit, not the target's doing (writing the reports, say): one line that says which.
                await error.WriteLineAsync($"error: {GeneratorErrors.Describe(e)}").ConfigureAwait(false);
                return ExitCodes.Error;
            }
            catch (Exception e) when (PeerEngineClient.IsConnectionFailure(e))
            {
                await error.WriteLineAsync($"error: {settings.Target.Text}: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Error;
            }
        }

        LoadSettings Settings(ParseResult parse)
        {
            string[] names = parse.GetValue(scenario) ?? ["echo"];
            string? unknown = names.FirstOrDefault(n => !BuiltInScenarios.Names.Contains(n));
            if (unknown is not null)
            {
                throw new UsageException($"scenario '{unknown}' is not one of {string.Join(", ", BuiltInScenarios.Names)}.");
            }

            TargetAddress address = TargetAddress.Parse(parse.GetValue(target));
            if (address.Kind == TargetKind.NoOp)
            {
                names = ["noop"];
            }
            else if (names.Contains("noop"))
            {
                throw new UsageException("scenario noop needs no target: use --target noop.");
            }

            string[] simulations = parse.GetValue(simulation) ?? [];
            double perSecond = parse.GetValue(rate);
            if (perSecond <= 0)
            {
                throw new UsageException("--rate must be greater than 0.");
            }

            IReadOnlyList<LoadSimulation> plan = simulations.Length > 0
                ? [.. simulations.Select(SimulationParser.Parse)]
                : LoadSettings.DefaultPlan(perSecond, Positive(DurationSyntax.Parse(parse.GetValue(duration)!, "--duration"), "--duration"));
            _ = SimulationPlan.Create(plan);

            int bytes = parse.GetValue(payload);
            int links = parse.GetValue(connections);
            int cap = parse.GetValue(maxConcurrency);
            if (bytes < 0 || links <= 0 || cap <= 0)
            {
                throw new UsageException(bytes < 0 ? "--payload cannot be negative." : links <= 0 ? "--connections must be at least 1." : "--max-concurrency must be at least 1.");
            }

            string? sla = parse.GetValue(findMax);
            int processes = parse.GetValue(workers);
            if (processes < 0 || (processes > 0 && sla is not null))
            {
                throw new UsageException(processes < 0 ? "--workers cannot be negative." : "--find-max runs in this process; it does not combine with --workers.");
            }

            // Every worker must get a share it can run; the last gets the smallest.
            foreach (LoadSimulation phase in plan.Where(_ => processes > 0))
            {
                _ = phase.Share(processes - 1, processes);
            }

            WorkerRole? role = parse.CommandResult.Command == worker
                ? new WorkerRole(parse.GetValue(workerIndex), parse.GetValue(workerCount), parse.GetValue(workerOutput)!)
                : null;
            if (role is not null && (role.Count < 1 || role.Index < 0 || role.Index >= role.Count))
            {
                throw new UsageException($"worker {role.Index} of {role.Count} is not a share.");
            }

            int port = parse.GetValue(metricsPort);
            if (port is < 0 or > 65535 || (port > 0 && processes > 0))
            {
                throw new UsageException(port > 0 && processes > 0
                    ? "--metrics-port serves this process's calls; it does not combine with --workers."
                    : $"--metrics-port {port} is not a port (1 to 65535, or 0 for none).");
            }

            return new LoadSettings
            {
                Target = address,
                Scenarios = [.. names.Distinct()],
                Simulations = plan,
                WarmUp = DurationSyntax.Parse(parse.GetValue(warmUp)!, "--warm-up"),
                PayloadBytes = bytes,
                Connections = links,
                MaxConcurrency = cap,
                Reconnect = Reconnect.Create(
                    DurationSyntax.Parse(parse.GetValue(reconnectBackoff)!, "--reconnect-backoff"),
                    DurationSyntax.Parse(parse.GetValue(maxReconnectBackoff)!, "--max-reconnect-backoff")),
                MetricsPort = port,
                Percentiles = ParsePercentiles(parse.GetValue(percentiles)!),
                ReportingInterval = Positive(DurationSyntax.Parse(parse.GetValue(interval)!, "--interval"), "--interval"),
                ReportFolder = parse.GetValue(reportFolder)!,
                ReportFormats = ReportWriter.ParseFormats(parse.GetValue(reportFormat) ?? ["all"]),
                Thresholds = [.. (parse.GetValue(threshold) ?? []).Select(Threshold.Parse)],
                AbortRules = [.. (parse.GetValue(abortWhen) ?? []).Select(AbortWatch.Parse)],
                FindMax = sla is null ? null : Threshold.Parse(sla),
                SearchStep = Positive(DurationSyntax.Parse(parse.GetValue(searchStep)!, "--search-step"), "--search-step"),
                SearchStart = parse.GetValue(searchStart) > 0 ? parse.GetValue(searchStart) : throw new UsageException("--search-start must be greater than 0."),
                Timing = parse.GetValue(timing) switch
                {
                    null => null,
                    "spin" => DispatchTiming.Spin,
                    "sleep" => DispatchTiming.Sleep,
                    string other => throw new UsageException($"--timing '{other}' is not spin or sleep."),
                },
                Quiet = parse.GetValue(quiet),

                // A table redrawn in place needs a terminal: Spectre finds no ANSI support when output is redirected.
                LiveTable = !parse.GetValue(noLive) && console.Profile.Capabilities.Ansi && console.Profile.Capabilities.Interactive,
                Workers = processes,
                Worker = role,
                // As typed: a worker given --config reads the same file.
                CommandLine = "PeerEngine.Load " + string.Join(' ', given),
                Arguments = given,
            };
        }
    }

    private static TimeSpan Positive(TimeSpan value, string option) =>
        value > TimeSpan.Zero ? value : throw new UsageException($"{option} must be longer than 0.");

    private static double[] ParsePercentiles(string text)
    {
        double[] values = [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(p =>
            double.TryParse(p.TrimStart('p'), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v is > 0 and < 100
                ? v
                : throw new UsageException($"--percentiles: '{p}' is not a percentile between 0 and 100."))];
        return values.Length > 0 ? [.. values.Distinct().Order()] : throw new UsageException("--percentiles needs at least one percentile.");
    }
}
