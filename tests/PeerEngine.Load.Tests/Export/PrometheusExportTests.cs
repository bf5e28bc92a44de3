using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PeerEngine.Load.Cli;
using PeerEngine.Load.Export;
using PeerEngine.Load.Tests.Support;

namespace PeerEngine.Load.Tests.Export;

/// <summary>The live Prometheus endpoint, scraped over loopback HTTP while a run goes on.</summary>
public sealed partial class PrometheusExportTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_scrape_during_the_run_has_the_interval_counters_and_the_response_time_histogram()
    {
        int port = HostNode.FreePort();
        using var lines = new LineWatch();
        using var stop = new CancellationTokenSource();
        Task<string> answered = lines.NextAsync(l => OkSoFar().Match(l) is { Success: true } m && Number(m.Groups[1].Value) > 0);
        Task<int> run = LoadCommand.InvokeAsync(
            [
                "--metrics-port", port.ToString(CultureInfo.InvariantCulture), "--simulation", "inject:rate=200,interval=1s,during=60s",
                "--warm-up", "200ms", "--interval", "250ms", "--timing", "sleep", "--connections", "1", "--no-live",
                "--report-folder", _temp.Path, "--report-format", "none",
            ],
            Consoles.Create(new StringWriter()),
            lines,
            lines,
            cancellationToken: stop.Token);
        try
        {
            // The counters move before an interval's line is written: a scrape after the line sees at least its counts.
            string line = await answered.WaitAsync(TimeSpan.FromSeconds(60));
            double okSoFar = Number(OkSoFar().Match(line).Groups[1].Value);
            Assert.Contains($"metrics: http://127.0.0.1:{port}/metrics", lines.ToString(), StringComparison.Ordinal);

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
            string text = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
            Assert.Contains("# TYPE peerengine_load_ok_total counter", text, StringComparison.Ordinal);
            Assert.InRange(Sample(text, "peerengine_load_ok_total"), okSoFar, double.MaxValue);
            Assert.Equal(0, Sample(text, "peerengine_load_failed_total"));
            Assert.Equal(0, Sample(text, "peerengine_load_dropped_total"));
            Assert.InRange(Sample(text, "peerengine_load_planned_total"), 1, double.MaxValue);

            // The histogram: every bound as a bucket, cumulative, ending at +Inf with the count of ok calls.
            Assert.Contains("# TYPE peerengine_load_response_time_seconds histogram", text, StringComparison.Ordinal);
            double[] buckets = [.. PrometheusExport.Buckets.Select(b => Sample(text, "peerengine_load_response_time_seconds_bucket", $"le=\"{b.ToString(CultureInfo.InvariantCulture)}\"")).Append(Sample(text, "peerengine_load_response_time_seconds_bucket", "le=\"+Inf\""))];
            Assert.Equal(buckets.Order(), buckets);
            double count = Sample(text, "peerengine_load_response_time_seconds_count");
            Assert.Equal(count, buckets[^1]);
            Assert.InRange(count, okSoFar, double.MaxValue);
            Assert.InRange(Sample(text, "peerengine_load_response_time_seconds_sum"), 1e-6 * count, 10 * count);
        }
        finally
        {
            await stop.CancelAsync();
            Assert.Equal(ExitCodes.Passed, await run.WaitAsync(TimeSpan.FromSeconds(60)));
        }

        // The endpoint ends with the run.
        using var after = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAsync<HttpRequestException>(() => after.GetAsync(new Uri($"http://127.0.0.1:{port}/metrics")));
    }

    [Fact]
    public async Task A_port_already_taken_is_one_line_and_exit_1()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var output = new StringWriter();
        var error = new StringWriter();

        int exit = await Command.RunAsync(output, error, "--metrics-port", port.ToString(CultureInfo.InvariantCulture), "--target", "noop", "--duration", "1s", "--report-format", "none");

        Assert.Equal(ExitCodes.Error, exit);
        string line = error.ToString().TrimEnd();
        Assert.StartsWith($"error: --metrics-port {port}: cannot serve metrics there", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    /// <summary>The value of the echo scenario's sample of <paramref name="metric"/> (with <paramref name="label"/>, when given).</summary>
    private static double Sample(string exposition, string metric, string label = "")
    {
        Match m = Regex.Match(exposition, $"^{Regex.Escape(metric)}\\{{([^}}]*)\\}} (\\S+)", RegexOptions.Multiline);
        for (; m.Success; m = m.NextMatch())
        {
            string labels = m.Groups[1].Value;
            if (labels.Contains("scenario=\"echo\"", StringComparison.Ordinal) && labels.Contains(label, StringComparison.Ordinal))
            {
                return Number(m.Groups[2].Value);
            }
        }

        throw new Xunit.Sdk.XunitException($"no sample of {metric}{{{label}}} for echo in:\n{exposition}");
    }

    private static double Number(string text) => double.Parse(text.Replace(",", string.Empty, StringComparison.Ordinal), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\bok ([0-9][0-9,]*)\s+errors")]
    private static partial Regex OkSoFar();
}
