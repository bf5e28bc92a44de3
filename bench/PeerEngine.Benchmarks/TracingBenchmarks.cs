using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using PeerEngine.Benchmarks.EndToEnd;
using PeerEngine.Buffers;

namespace PeerEngine.Benchmarks;

/// <summary>
/// What tracing costs a request: one request in flight through the node API over loopback TCP,
/// client and server in this process (allocations of both sides together), in four set-ups of the
/// same run. Version 1 (no trace context on the wire, the baseline); version 2 with nobody listening
/// (the default: no span, no trace block); version 2 with a listener that samples nothing (the
/// engine asks for spans and gets none); version 2 with every span sampled (a client span, a trace
/// block on the wire, a server span in the peer).
/// </summary>
[Config(typeof(BenchmarkConfig))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class TracingBenchmarks
{
    private const int RoundTrips = 200;

    private readonly byte[] _payload = new byte[64];
    private PeerNode _server = null!;
    private PeerNode _client = null!;
    private PeerAddress _address = null!;
    private ActivityListener? _listener;

    /// <summary>The four set-ups.</summary>
    public enum Setup
    {
        Version1,
        Version2NoListener,
        Version2ListenerSamplingNone,
        Version2Sampled,
    }

    [ParamsAllValues]
    public Setup Tracing { get; set; }

    [GlobalSetup]
    public async Task Start()
    {
        int version = Tracing == Setup.Version1 ? 1 : 2;
        _server = new PeerNode(new PeerNodeOptions { NodeId = "trace-server", Discover = false, Connections = { ProtocolVersion = version } })
        {
            RequestHandler = EchoHandler.Echo,
        };
        _client = new PeerNode(new PeerNodeOptions { NodeId = "trace-client", Listen = false, Discover = false, Connections = { ProtocolVersion = version } });
        await _server.StartAsync();
        await _client.StartAsync();
        _address = PeerAddress.FromEndPoint(_server.TcpEndPoint!);
        if (Tracing is Setup.Version2ListenerSamplingNone or Setup.Version2Sampled)
        {
            ActivitySamplingResult sampling = Tracing == Setup.Version2Sampled ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None;
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == PeerEngineActivities.SourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => sampling,
            };
            ActivitySource.AddActivityListener(_listener);
        }

        (await _client.RequestAsync(_address, _payload)).Dispose();
    }

    [GlobalCleanup]
    public async Task Stop()
    {
        _listener?.Dispose();
        await _client.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Benchmark(OperationsPerInvoke = RoundTrips)]
    public async Task Request()
    {
        for (int i = 0; i < RoundTrips; i++)
        {
            using PooledPayload answer = await _client.RequestAsync(_address, _payload);
        }
    }
}
