using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using PeerEngine.Load.Measurement;

namespace PeerEngine.Load.Export;

/// <summary>
/// The run's live figures as a Prometheus scrape endpoint (<c>http://127.0.0.1:PORT/metrics</c>),
/// served by OpenTelemetry's exporter: per scenario, calls ok, failed, dropped and planned (counters
/// that move at each reporting interval's end, so they add up to the report's intervals), and the
/// response time of successful calls as a histogram (seconds, from the intended start: the report's
/// primary figure). Only the measured run is exported, not the warm-up.
/// </summary>
internal sealed class PrometheusExport : IDisposable
{
    public const string MeterName = "PeerEngine.Load";

    /// <summary>
    /// Bucket bounds in seconds, 100 µs to 10 s in 1-2.5-5 steps: a dashboard's quantiles land within a
    /// bucket of the truth across the range a loopback echo (~100 µs) and a stalled target (seconds) span.
    /// </summary>
    public static readonly IReadOnlyList<double> Buckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Meter _meter = new(MeterName);
    private readonly MeterProvider _provider;
    private readonly Histogram<double> _responseTime;
    private readonly ConcurrentDictionary<string, Counts> _counts = new(StringComparer.Ordinal);

    private PrometheusExport(int port)
    {
        _responseTime = _meter.CreateHistogram<double>("peerengine.load.response_time", "s", "Response time of successful calls, from the intended start");
        _meter.CreateObservableCounter("peerengine.load.ok", () => Observe(c => c.Ok), "{call}", "Successful calls, counted at each interval's end");
        _meter.CreateObservableCounter("peerengine.load.failed", () => Observe(c => c.Failed), "{call}", "Failed calls, counted at each interval's end");
        _meter.CreateObservableCounter("peerengine.load.dropped", () => Observe(c => c.Dropped), "{call}", "Calls dropped for starting later than the maximum start lag");
        _meter.CreateObservableCounter("peerengine.load.planned", () => Observe(c => c.Planned), "{call}", "Calls the open-model plan made due, counted at each interval's end");
        _provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(MeterName)
            .AddView("peerengine.load.response_time", new ExplicitBucketHistogramConfiguration { Boundaries = [.. Buckets] })
            .AddPrometheusHttpListener(o =>
            {
                o.Host = IPAddress.Loopback.ToString();
                o.Port = port;

                // Every scrape sees the latest interval; a dashboard scrapes far less often than 300 ms anyway.
                o.ScrapeResponseCacheDurationMilliseconds = 0;
            })
            .Build();
    }

    public Uri Endpoint { get; private init; } = null!;

    /// <summary>Serves the endpoint on loopback <paramref name="port"/>; the message of a port that cannot be had says which.</summary>
    public static PrometheusExport Start(int port)
    {
        try
        {
            return new PrometheusExport(port) { Endpoint = new Uri($"http://127.0.0.1:{port}/metrics") };
        }
        catch (Exception e) when (e is HttpListenerException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            throw new InvalidOperationException($"--metrics-port {port}: cannot serve metrics there ({e.Message}).", e);
        }
    }

    /// <summary>What records one successful call's response time for <paramref name="scenario"/>, in microseconds.</summary>
    public Action<long> ResponseRecorder(string scenario)
    {
        var tag = new KeyValuePair<string, object?>("scenario", scenario);
        _ = _counts.GetOrAdd(scenario, static _ => new Counts());
        return micros => _responseTime.Record(micros / 1e6, tag);
    }

    /// <summary>Adds an interval's counts; <paramref name="plannedCalls"/> is what the plan made due within it (0 in a closed model).</summary>
    public void Interval(string scenario, IntervalStats stats, double plannedCalls)
    {
        Counts counts = _counts.GetOrAdd(scenario, static _ => new Counts());
        lock (counts)
        {
            counts.Ok += stats.Ok;
            counts.Failed += stats.Fail;
            counts.Dropped += stats.Dropped;
            counts.Planned += plannedCalls;
        }
    }

    public void Dispose()
    {
        _provider.Dispose();
        _meter.Dispose();
    }

    private IEnumerable<Measurement<double>> Observe(Func<Counts, double> value)
    {
        foreach ((string scenario, Counts counts) in _counts)
        {
            double now;
            lock (counts)
            {
                now = value(counts);
            }

            yield return new Measurement<double>(now, new KeyValuePair<string, object?>("scenario", scenario));
        }
    }

    private sealed class Counts
    {
        public double Ok { get; set; }

        public double Failed { get; set; }

        public double Dropped { get; set; }

        public double Planned { get; set; }
    }
}
