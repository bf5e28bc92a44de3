using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Benchmarks.EndToEnd;
using PeerEngine.Benchmarks.EndToEnd.Servers;
using PeerEngine.Node;
using PeerEngine.Registry;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Benchmarks;

/// <summary>
/// Request/response over loopback TCP, client and server in this process: the same echo over a plain
/// socket (the baseline), over a bare PeerEngine connection, and through the node API (peer lookup,
/// pool and all). Latency: one request in flight. Pipelined: 64 in flight on one connection.
/// Allocations are counted for both sides together.
/// </summary>
[Config(typeof(BenchmarkConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ConnectionBenchmarks
{
    private const int RoundTrips = 200;
    private const int Depth = 64;
    private const int Batches = 20;

    private readonly byte[] _payload = new byte[64];
    private readonly ValueTask<PooledPayload>[] _inFlight = new ValueTask<PooledPayload>[Depth];
    private ConnectionSettings _serverSettings = null!;
    private ConnectionSettings _clientSettings = null!;
    private PeerListener _listener = null!;
    private PeerConnection _client = null!;
    private PlainSocketServer _plainServer = null!;
    private PlainSocketClient _plainLatency = null!;
    private PlainSocketClient _plainPipelined = null!;
    private string _registryFolder = null!;
    private PeerNode _nodeServer = null!;
    private PeerNode _nodeClient = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        var options = new PeerConnectionOptions();
        _serverSettings = new ConnectionSettings("bench-server", options, new ConnectionHandlers(EchoHandler.Echo, null));
        _clientSettings = new ConnectionSettings("bench-client", options);
        _listener = PeerListener.Start(new SocketTransport(_serverSettings.Transport), new IPEndPoint(IPAddress.Loopback, 0), _serverSettings);
        _client = await new PeerConnector(new SocketTransport(_clientSettings.Transport), _clientSettings).ConnectAsync(_listener.EndPoint);
        _plainServer = new PlainSocketServer(new IPEndPoint(IPAddress.Loopback, 0));
        _plainLatency = await PlainSocketClient.ConnectAsync(_plainServer.EndPoint, _payload.Length, depth: 1);
        _plainPipelined = await PlainSocketClient.ConnectAsync(_plainServer.EndPoint, _payload.Length, Depth);

        _registryFolder = Directory.CreateTempSubdirectory("peerengine-bench-").FullName;
        var registry = new PeerRegistryOptions { Path = Path.Combine(_registryFolder, "registry.bin") };
        _nodeServer = new PeerNode(new PeerNodeOptions { NodeId = "node-server", Registry = registry }) { RequestHandler = EchoHandler.Echo };
        _nodeClient = new PeerNode(new PeerNodeOptions { NodeId = "node-client", Registry = registry, Listen = false });
        await _nodeServer.StartAsync();
        await _nodeClient.StartAsync();
        (await _nodeClient.RequestAsync("node-server", _payload)).Dispose();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _client.DisposeAsync();
        await _listener.DisposeAsync();
        _plainLatency.Dispose();
        _plainPipelined.Dispose();
        await _plainServer.DisposeAsync();
        _serverSettings.Dispose();
        _clientSettings.Dispose();
        await _nodeClient.DisposeAsync();
        await _nodeServer.DisposeAsync();
        Directory.Delete(_registryFolder, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips, Description = "latency: plain socket")]
    [BenchmarkCategory("latency")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask PlainSocketRoundTrip()
    {
        for (int i = 0; i < RoundTrips; i++)
        {
            await _plainLatency.ExchangeAsync(1);
        }
    }

    [Benchmark(OperationsPerInvoke = RoundTrips, Description = "latency: PeerEngine")]
    [BenchmarkCategory("latency")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask PeerEngineRoundTrip()
    {
        for (int i = 0; i < RoundTrips; i++)
        {
            using PooledPayload response = await _client.RequestAsync(_payload);
        }
    }

    [Benchmark(OperationsPerInvoke = RoundTrips, Description = "latency: PeerEngine node")]
    [BenchmarkCategory("latency")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask NodeRoundTrip()
    {
        for (int i = 0; i < RoundTrips; i++)
        {
            using PooledPayload response = await _nodeClient.RequestAsync("node-server", _payload);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Depth * Batches, Description = "pipelined x64: plain socket")]
    [BenchmarkCategory("pipelined")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask PlainSocketPipelined()
    {
        for (int batch = 0; batch < Batches; batch++)
        {
            await _plainPipelined.ExchangeAsync(Depth);
        }
    }

    [Benchmark(OperationsPerInvoke = Depth * Batches, Description = "pipelined x64: PeerEngine")]
    [BenchmarkCategory("pipelined")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    [SuppressMessage("Reliability", "CA2012", Justification = "Each ValueTask is stored once and awaited once, in order; AsTask would allocate and skew the measurement.")]
    public async ValueTask PeerEnginePipelined()
    {
        for (int batch = 0; batch < Batches; batch++)
        {
            for (int i = 0; i < Depth; i++)
            {
                _inFlight[i] = _client.RequestAsync(_payload);
            }

            for (int i = 0; i < Depth; i++)
            {
                (await _inFlight[i]).Dispose();
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Depth * Batches, Description = "pipelined x64: PeerEngine node")]
    [BenchmarkCategory("pipelined")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    [SuppressMessage("Reliability", "CA2012", Justification = "Each ValueTask is stored once and awaited once, in order; AsTask would allocate and skew the measurement.")]
    public async ValueTask NodePipelined()
    {
        for (int batch = 0; batch < Batches; batch++)
        {
            for (int i = 0; i < Depth; i++)
            {
                _inFlight[i] = _nodeClient.RequestAsync("node-server", _payload);
            }

            for (int i = 0; i < Depth; i++)
            {
                (await _inFlight[i]).Dispose();
            }
        }
    }
}
