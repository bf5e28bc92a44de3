using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using HdrHistogram;

namespace PeerEngine.Benchmarks.EndToEnd.Client;

/// <summary>
/// <c>e2e client</c>: the one load client for every stack, driven by the runner on standard input.
/// <c>run ENDPOINT C D P WARMUP_MS MEASURE_MS</c> opens C connections, loads them for the warm-up,
/// prints <c>WARM</c> and waits for <c>GO</c>; measures, prints <c>MEASURED</c> and waits for
/// <c>CLOSE</c> (the runner reads the server's allocations in between, with the connections open);
/// then prints <c>RESULT</c> with the requests, the seconds, the latency percentiles in µs and the
/// client's own CPU time while measuring (µs).
/// </summary>
internal static class ClientProcess
{
    // A server that stops answering fails the run (the connections are then closed) instead of
    // hanging it: a CI smoke must end.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync()
    {
        while (Console.ReadLine() is { } line && line != "exit")
        {
            string[] words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length != 7 || words[0] != "run")
            {
                Console.WriteLine("ERROR expected: run ENDPOINT C D P WARMUP_MS MEASURE_MS");
                continue;
            }

            try
            {
                (EndPoint endPoint, ClientRoute route) = ParseEndPoint(words[1]);
                int[] n = words[2..].Select(w => int.Parse(w, CultureInfo.InvariantCulture)).ToArray();
                Console.WriteLine(await RunScenarioAsync(endPoint, route, n[0], n[1], n[2], n[3], n[4]).ConfigureAwait(false));
            }
            catch (Exception e) when (e is SocketException or IOException or AuthenticationException or InvalidDataException or FormatException or TimeoutException)
            {
                Console.WriteLine("ERROR " + e.Message.ReplaceLineEndings(" "));
            }
        }

        return 0;
    }

    /// <summary>
    /// <c>unix:PATH</c>, <c>tcp:HOST:PORT</c>, <c>tls:HOST:PORT</c> (TLS over TCP), or <c>shm:PATH</c>
    /// (PeerEngine's shared-memory rings, set up over the Unix socket PATH).
    /// </summary>
    public static (EndPoint EndPoint, ClientRoute Route) ParseEndPoint(string text) =>
        text.StartsWith("unix:", StringComparison.Ordinal) ? (new UnixDomainSocketEndPoint(text["unix:".Length..]), ClientRoute.Socket)
        : text.StartsWith("shm:", StringComparison.Ordinal) ? (new UnixDomainSocketEndPoint(text["shm:".Length..]), ClientRoute.SharedMemory)
        : text.StartsWith("tls:", StringComparison.Ordinal) ? (IPEndPoint.Parse(text["tls:".Length..]), ClientRoute.Tls)
        : (IPEndPoint.Parse(text["tcp:".Length..]), ClientRoute.Socket);

    private static async Task<string> RunScenarioAsync(EndPoint endPoint, ClientRoute route, int connections, int depth, int payload, int warmupMs, int measureMs)
    {
        var open = new ClientConnection[connections];
        try
        {
            for (int i = 0; i < connections; i++)
            {
                open[i] = await ClientConnection.ConnectAsync(endPoint, route, depth, payload, seed: i).WaitAsync(Patience).ConfigureAwait(false);
            }

            await LoadAsync(open, warmupMs).ConfigureAwait(false);
            foreach (ClientConnection connection in open)
            {
                connection.Reset();
            }

            Console.WriteLine("WARM");
            Expect("GO");
            long started = Stopwatch.GetTimestamp();
            TimeSpan cpuBefore = Environment.CpuUsage.TotalTime;
            await LoadAsync(open, measureMs).ConfigureAwait(false);
            double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            long cpuMicroseconds = (Environment.CpuUsage.TotalTime - cpuBefore).Ticks / 10;
            Console.WriteLine("MEASURED");
            Expect("CLOSE");

            var latency = new LongHistogram(Stopwatch.Frequency * 60, 3);
            long requests = 0;
            foreach (ClientConnection connection in open)
            {
                latency.Add(connection.Latency);
                requests += connection.Completed;
            }

            return FormattableString.Invariant(
                $"RESULT requests={requests} seconds={seconds:F4} p50={Micros(latency, 50)} p99={Micros(latency, 99)} p999={Micros(latency, 99.9)} cpu={cpuMicroseconds}");
        }
        finally
        {
            foreach (ClientConnection? connection in open)
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private static Task LoadAsync(ClientConnection[] connections, int milliseconds)
    {
        long until = Stopwatch.GetTimestamp() + (milliseconds * Stopwatch.Frequency / 1000);
        return Task.WhenAll(connections.Select(c => Task.Run(() => c.RunAsync(until))))
            .WaitAsync(TimeSpan.FromMilliseconds(milliseconds) + Patience);
    }

    private static double Micros(LongHistogram histogram, double percentile) =>
        Math.Round(histogram.GetValueAtPercentile(percentile) * 1e6 / Stopwatch.Frequency, 1);

    private static void Expect(string command)
    {
        string? line = Console.ReadLine();
        if (line != command)
        {
            throw new IOException($"The runner sent '{line}' where '{command}' was expected.");
        }
    }
}
