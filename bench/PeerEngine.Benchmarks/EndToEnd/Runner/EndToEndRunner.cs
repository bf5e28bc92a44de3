using System.Globalization;
using System.Text;

namespace PeerEngine.Benchmarks.EndToEnd.Runner;

/// <summary>
/// <c>e2e run</c>: starts every server in its own process on one core and the client on another,
/// runs every scenario against every target in interleaved rounds (the order rotates each round),
/// and prints the medians as Markdown tables with ratios to PeerEngine.
/// </summary>
internal sealed class EndToEndRunner
{
    private const int ServerCore = 0;
    private const int ClientCore = 1;

    private readonly RunnerOptions _options;
    private readonly Dictionary<(Scenario, Target), List<Measurement>> _results = [];

    private EndToEndRunner(RunnerOptions options) => _options = options;

    public static int Run(string[] arguments)
    {
        RunnerOptions options;
        try
        {
            options = RunnerOptions.Parse(arguments);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(RunnerOptions.Usage);
            return 2;
        }

        return new EndToEndRunner(options).Run();
    }

    private int Run()
    {
        List<Target> targets = Target.All().Where(_options.Includes).ToList();
        Scenario[] scenarios = Scenario.All.Where(s => _options.Scenarios is null || _options.Scenarios.Any(n => s.Name.StartsWith(n, StringComparison.Ordinal))).ToArray();
        Console.Error.WriteLine(FormattableString.Invariant(
            $"e2e: {targets.Count} targets x {scenarios.Length} scenarios x {_options.Rounds} rounds, warm-up {_options.WarmupMs} ms, measure {_options.MeasureMs} ms, pinned: {ChildProcess.CanPin}"));

        var servers = new Dictionary<ServerSpec, (ChildProcess Process, string Tcp, string? Unix)>();
        ChildProcess? client = null;
        string? tlsFolder = targets.Any(t => t.IsTls) ? TlsFiles.Create() : null;
        try
        {
            foreach (ServerSpec spec in targets.Select(t => t.Server).Distinct())
            {
                var environment = new Dictionary<string, string>(spec.Environment);
                if (tlsFolder is not null)
                {
                    environment[TlsFiles.Variable] = tlsFolder;
                }

                if (_options.AllocationTypes)
                {
                    environment["E2E_ALLOCATION_TYPES"] = "1";
                }

                if (_options.BlockEvery is { } every)
                {
                    environment[EchoHandler.BlockEveryVariable] = every.ToString(CultureInfo.InvariantCulture);
                }

                if (_options.RingSpinMicroseconds is { } serverSpin)
                {
                    environment[RingSpin.Variable] = serverSpin.ToString(CultureInfo.InvariantCulture);
                }

                ChildProcess process = ChildProcess.Start(ServerCore, environment, "serve", spec.Stack);
                servers[spec] = (process, null!, null);
                string ready = process.Expect("READY");
                string tcp = Field(ready, "tcp=")!;
                string scheme = spec.IsTls ? "tls:" : "tcp:";
                servers[spec] = (process, scheme + tcp, Field(ready, "unix=") is { } unix ? "unix:" + unix : null);
            }

            // The client is the measuring instrument, the same for every stack: it runs without the
            // thread pool's idle spinning so that its own core serves its socket events promptly.
            var clientEnvironment = new Dictionary<string, string>(ServerSpec.NoSpinning);
            if (tlsFolder is not null)
            {
                clientEnvironment[TlsFiles.Variable] = tlsFolder;
            }

            if (_options.RingSpinMicroseconds is { } clientSpin)
            {
                clientEnvironment[RingSpin.Variable] = clientSpin.ToString(CultureInfo.InvariantCulture);
            }

            client = ChildProcess.Start(ClientCore, clientEnvironment, "client");

            if (_options.Rounds > 1)
            {
                // Not recorded: every server meets every scenario once before the first round, so that
                // the tiered JIT has compiled each stack's hot path by then.
                Console.Error.WriteLine("  warm-up round (not recorded)");
                foreach (Scenario scenario in scenarios)
                {
                    foreach (Target target in targets)
                    {
                        (ChildProcess server, string tcp, string? unix) = servers[target.Server];
                        _ = Measure(client, server, EndPointOf(target, tcp, unix), scenario, measureMs: 500);
                    }
                }
            }

            for (int round = 0; round < _options.Rounds; round++)
            {
                foreach (Scenario scenario in scenarios)
                {
                    // Rotate the order each round so that no target always runs first or last.
                    for (int i = 0; i < targets.Count; i++)
                    {
                        Target target = targets[(i + round) % targets.Count];
                        (ChildProcess server, string tcp, string? unix) = servers[target.Server];
                        string endPoint = EndPointOf(target, tcp, unix);
                        Measurement measurement = Measure(client, server, endPoint, scenario, _options.MeasureMs);
                        Console.Error.WriteLine(FormattableString.Invariant(
                            $"  round {round + 1} {scenario.Name,-16} {target.Label,-32} {measurement.RequestsPerSecond,10:F0} req/s p50 {measurement.P50,8:F1} µs p99 {measurement.P99,8:F1} µs {measurement.AllocatedPerRequest,8:F1} B/req {measurement.CpuPerRequest,6:F2} µs CPU/req, cores busy {measurement.ServerCores:F2} server {measurement.ClientCores:F2} client"));
                        if (!_results.TryGetValue((scenario, target), out List<Measurement>? list))
                        {
                            _results[(scenario, target)] = list = [];
                        }

                        list.Add(measurement);
                    }
                }
            }
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine("e2e: FAILED: " + e.Message);
            return 1;
        }
        finally
        {
            client?.Dispose();
            foreach ((ChildProcess process, _, _) in servers.Values)
            {
                process.Dispose();
            }

            if (tlsFolder is not null)
            {
                Directory.Delete(tlsFolder, recursive: true);
            }
        }

        (double P50, double P99, double P999, double PerSecond)? floor = null;
        if (_options.Sockperf && Sockperf.IsInstalled)
        {
            floor = Sockperf.PingPong(ServerCore, ClientCore, EchoWire.HeaderSize + 64, Math.Max(_options.MeasureMs, 2000));
        }

        string report = Report(scenarios, targets, floor);
        Console.WriteLine(report);
        if (_options.Output is { } path)
        {
            File.WriteAllText(path, report);
        }

        return 0;
    }

    private Measurement Measure(ChildProcess client, ChildProcess server, string endPoint, Scenario scenario, int measureMs)
    {
        client.Send(FormattableString.Invariant(
            $"run {endPoint} {scenario.Connections} {scenario.Depth} {scenario.PayloadLength} {_options.WarmupMs} {measureMs}"));
        client.Expect("WARM");
        (long allocatedBefore, long cpuBefore) = Usage(server);
        client.Send("GO");
        client.Expect("MEASURED");
        (long allocatedAfter, long cpuAfter) = Usage(server);
        if (_options.AllocationTypes)
        {
            server.Send("types");
            Console.Error.WriteLine("  server allocations (cumulative): " + server.Expect("TYPES "));
        }

        client.Send("CLOSE");
        string result = client.Expect("RESULT");
        double requests = Number(result, "requests=");
        double seconds = Number(result, "seconds=");
        return new Measurement(
            requests / seconds,
            Number(result, "p50="),
            Number(result, "p99="),
            Number(result, "p999="),
            requests == 0 ? double.NaN : (allocatedAfter - allocatedBefore) / requests,
            requests == 0 ? double.NaN : (cpuAfter - cpuBefore) / requests,
            (cpuAfter - cpuBefore) / (seconds * 1e6),
            Number(result, "cpu=") / (seconds * 1e6));
    }

    /// <summary>The server's allocated bytes and CPU time (µs) so far.</summary>
    private static (long Allocated, long CpuMicroseconds) Usage(ChildProcess server)
    {
        server.Send("alloc");
        string line = server.Expect("ALLOC ");
        return (long.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture), (long)Number(line, "cpu="));
    }

    private string Report(Scenario[] scenarios, List<Target> targets, (double P50, double P99, double P999, double PerSecond)? floor)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Medians of {_options.Rounds} interleaved rounds; warm-up {_options.WarmupMs} ms, measured {_options.MeasureMs} ms per run; server on core {ServerCore}, client on core {ClientCore} (pinned: {ChildProcess.CanPin}).");
        text.AppendLine("`PE ÷ this`: PeerEngine's throughput (TCP, same runtime settings; low-latency mode, larger pool and inline completions: PeerEngine with spin limit 0) over this row's, so above 1 means PeerEngine is ahead; `p50 ÷ PE`: this row's p50 over PeerEngine's; `server busy`, `client busy`: each process's CPU time over the measured time (1.00 is its whole core).");
        if (floor is { } f)
        {
            text.AppendLine(FormattableString.Invariant(
                $"Floor (sockperf TCP ping-pong, {EchoWire.HeaderSize + 64}-byte messages, full round trips, same pinning): p50 {f.P50:F1} µs, p99 {f.P99:F1} µs, p99.9 {f.P999:F1} µs, {f.PerSecond:F0} round trips/s."));
        }
        else
        {
            text.AppendLine("Floor: sockperf not run (not installed, or --no-sockperf).");
        }

        foreach (Scenario scenario in scenarios)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"### {scenario.Name}: C={scenario.Connections}, D={scenario.Depth}, P={scenario.PayloadLength} B");
            text.AppendLine();
            bool latency = scenario.Depth == 1 && scenario.Connections == 1 && floor is not null;
            text.AppendLine("| stack | settings | req/s | PE ÷ this | p50 µs | p50 ÷ PE | p99 µs | p99.9 µs | server B/req | server CPU µs/req | CPU ÷ PE | server busy | client busy |" + (latency ? " p50 ÷ floor |" : string.Empty));
            text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + (latency ? "---:|" : string.Empty));
            foreach (Target target in targets)
            {
                if (!_results.TryGetValue((scenario, target), out List<Measurement>? runs))
                {
                    continue;
                }

                Measurement m = Median(runs);
                Measurement? pe = PeerEngineFor(scenario, target);
                string stack = target.Route switch
                {
                    Route.UnixSocket => target.Server.Stack + " (Unix socket)",
                    Route.SharedMemory => target.Server.Stack + " (shared memory)",
                    _ => target.Server.Stack,
                };
                text.Append(CultureInfo.InvariantCulture, $"| {stack} | {target.Server.Settings} | {m.RequestsPerSecond:F0} | {Ratio(pe?.RequestsPerSecond, m.RequestsPerSecond)} | {m.P50:F1} | {Ratio(m.P50, pe?.P50)} | {m.P99:F1} | {m.P999:F1} | {m.AllocatedPerRequest:F1} | {m.CpuPerRequest:F2} | {Ratio(m.CpuPerRequest, pe?.CpuPerRequest)} | {m.ServerCores:F2} | {m.ClientCores:F2} |");
                if (latency)
                {
                    text.Append(CultureInfo.InvariantCulture, $" {m.P50 / floor!.Value.P50:F2} |");
                }

                text.AppendLine();
            }
        }

        return text.ToString();
    }

    /// <summary>The client's endpoint for the route: <c>tcp:</c>/<c>tls:HOST:PORT</c>, <c>unix:PATH</c>, <c>shm:PATH</c> (rings set up over the Unix socket).</summary>
    private static string EndPointOf(Target target, string tcp, string? unix) => target.Route switch
    {
        Route.UnixSocket => unix!,
        Route.SharedMemory => "shm:" + unix!["unix:".Length..],
        _ => tcp,
    };

    private Measurement? PeerEngineFor(Scenario scenario, Target target)
    {
        string settings = target.Server.Settings switch
        {
            ServerSpec.LowLatency or ServerSpec.LargerPool or ServerSpec.InlineCompletions => ServerSpec.Tuned,
            ServerSpec.Handoff => ServerSpec.Shipped,
            _ => target.Server.Settings,
        };
        return _results.FirstOrDefault(r => r.Key.Item1 == scenario && r.Key.Item2.Server.Stack == "peerengine" && r.Key.Item2.Route == Route.Tcp && r.Key.Item2.Server.Settings == settings).Value is { } runs
            ? Median(runs)
            : null;
    }

    private static string Ratio(double? numerator, double? denominator) =>
        numerator is { } n && denominator is { } d && d > 0 ? (n / d).ToString("F2", CultureInfo.InvariantCulture) : "–";

    private static Measurement Median(List<Measurement> runs) => new(
        Median(runs.Select(r => r.RequestsPerSecond)),
        Median(runs.Select(r => r.P50)),
        Median(runs.Select(r => r.P99)),
        Median(runs.Select(r => r.P999)),
        Median(runs.Select(r => r.AllocatedPerRequest)),
        Median(runs.Select(r => r.CpuPerRequest)),
        Median(runs.Select(r => r.ServerCores)),
        Median(runs.Select(r => r.ClientCores)));

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string? Field(string line, string name) =>
        line.Split(' ').FirstOrDefault(w => w.StartsWith(name, StringComparison.Ordinal)) is { } word ? word[name.Length..] : null;

    private static double Number(string line, string name) =>
        double.Parse(Field(line, name) ?? throw new InvalidOperationException($"'{name}' missing from '{line}'."), CultureInfo.InvariantCulture);
}
