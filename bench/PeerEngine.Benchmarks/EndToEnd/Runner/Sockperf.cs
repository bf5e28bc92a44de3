using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace PeerEngine.Benchmarks.EndToEnd.Runner;

/// <summary>
/// The floor: sockperf's TCP ping-pong on loopback with the same pinning as the stacks (server core,
/// client core), one message of a 64-byte request frame's size in flight, full round trips.
/// </summary>
internal static partial class Sockperf
{
    public static bool IsInstalled => File.Exists("/usr/bin/sockperf");

    /// <summary>Waits (up to 5 s) until the sockperf server accepts connections, instead of guessing how long it takes to start.</summary>
    private static void WaitUntilListening(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(5))
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                probe.Connect(System.Net.IPAddress.Loopback, port);
                return;
            }
            catch (System.Net.Sockets.SocketException)
            {
                Thread.Sleep(10); // not listening yet
            }
        }
    }

    /// <summary>p50, p99, p99.9 of the round trip in µs and the round trips per second, or null if sockperf failed.</summary>
    public static (double P50, double P99, double P999, double PerSecond)? PingPong(int serverCore, int clientCore, int messageSize, int milliseconds)
    {
        int port = 20000 + (Environment.ProcessId % 20000);
        using Process server = Start(serverCore, $"sr --tcp -i 127.0.0.1 -p {port}");
        try
        {
            WaitUntilListening(port);
            int seconds = Math.Max(1, milliseconds / 1000);
            using Process client = Start(clientCore, $"pp --tcp -i 127.0.0.1 -p {port} -m {messageSize} -t {seconds} --full-rtt");
            string output = client.StandardOutput.ReadToEnd() + client.StandardError.ReadToEnd();
            client.WaitForExit();
            double? p50 = Percentile(output, "50.000");
            double? p99 = Percentile(output, "99.000");
            double? p999 = Percentile(output, "99.900");
            Match average = AverageRtt().Match(output);
            if (p50 is null || p99 is null || p999 is null || !average.Success)
            {
                return null;
            }

            return (p50.Value, p99.Value, p999.Value, 1e6 / double.Parse(average.Groups[1].Value, CultureInfo.InvariantCulture));
        }
        finally
        {
            server.Kill();
            server.WaitForExit();
        }
    }

    private static Process Start(int core, string arguments)
    {
        var start = new ProcessStartInfo(ChildProcess.CanPin ? "taskset" : "sockperf")
        {
            Arguments = ChildProcess.CanPin ? FormattableString.Invariant($"-c {core} sockperf {arguments}") : arguments,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(start) ?? throw new InvalidOperationException("Could not start sockperf.");
    }

    private static double? Percentile(string output, string percentile)
    {
        Match match = Regex.Match(output, $@"percentile {Regex.Escape(percentile)} =\s*([0-9.]+)");
        return match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"avg-rtt=([0-9.]+)")]
    private static partial Regex AverageRtt();
}
