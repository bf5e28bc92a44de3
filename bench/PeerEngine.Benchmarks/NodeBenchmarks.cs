using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Runtime.CompilerServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Connections.Internal;
using PeerEngine.Node;
using PeerEngine.Registry;

namespace PeerEngine.Benchmarks;

/// <summary>
/// What the node adds (lookup by peer id, pool selection, dispatch) over the bare connection of
/// <see cref="ConnectionBenchmarks"/>: the same echo, 64-byte payloads, in one run, both sides in
/// this process. Target (issue 5): at most 10 % over the bare connection, 0 B per request.
/// </summary>
[Config(typeof(BenchmarkConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class NodeBenchmarks
{
    private const int RoundTrips = 200;
    private const int Depth = 64;
    private const int Batches = 20;

    private readonly byte[] _payload = new byte[64];
    private readonly ValueTask<PooledPayload>[] _inFlight = new ValueTask<PooledPayload>[Depth];
    private string _folder = null!;
    private PeerNode _client = null!;
    private PeerNode _server = null!;
    private ConnectionSettings _bareServerSettings = null!;
    private ConnectionSettings _bareClientSettings = null!;
    private PeerListener _bareListener = null!;
    private PeerConnection _bare = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The node benchmarks use the registry file, which is Linux-only.");
        }

        _folder = Directory.CreateTempSubdirectory("peerengine-bench-").FullName;
        var registry = new PeerRegistryOptions { Path = Path.Combine(_folder, "registry.bin") };
        _server = new PeerNode(new PeerNodeOptions { NodeId = "bench-server", Registry = registry }) { RequestHandler = Echo };
        _client = new PeerNode(new PeerNodeOptions { NodeId = "bench-client", Registry = registry });
        await _server.StartAsync();
        await _client.StartAsync();
        (await _client.RequestAsync("bench-server", _payload)).Dispose();

        var options = new PeerConnectionOptions();
        _bareServerSettings = new ConnectionSettings("bare-server", options, new ConnectionHandlers(Echo, null));
        _bareClientSettings = new ConnectionSettings("bare-client", options);
        _bareListener = PeerListener.Start(new IPEndPoint(IPAddress.Loopback, 0), _bareServerSettings);
        _bare = await new PeerConnector(_bareClientSettings).ConnectAsync(_bareListener.EndPoint);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _client.DisposeAsync();
        await _server.DisposeAsync();
        await _bare.DisposeAsync();
        await _bareListener.DisposeAsync();
        _bareServerSettings.Dispose();
        _bareClientSettings.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = RoundTrips, Description = "latency: bare connection")]
    [BenchmarkCategory("latency")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask BareRoundTrip()
    {
        for (int i = 0; i < RoundTrips; i++)
        {
            using PooledPayload response = await _bare.RequestAsync(_payload);
        }
    }

    [Benchmark(OperationsPerInvoke = RoundTrips, Description = "latency: node")]
    [BenchmarkCategory("latency")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask NodeRoundTrip()
    {
        for (int i = 0; i < RoundTrips; i++)
        {
            using PooledPayload response = await _client.RequestAsync("bench-server", _payload);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Depth * Batches, Description = "pipelined x64: bare connection")]
    [BenchmarkCategory("pipelined")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    [SuppressMessage("Reliability", "CA2012", Justification = "Each ValueTask is stored once and awaited once, in order; AsTask would allocate and skew the measurement.")]
    public async ValueTask BarePipelined()
    {
        for (int batch = 0; batch < Batches; batch++)
        {
            for (int i = 0; i < Depth; i++)
            {
                _inFlight[i] = _bare.RequestAsync(_payload);
            }

            for (int i = 0; i < Depth; i++)
            {
                (await _inFlight[i]).Dispose();
            }
        }
    }

    [Benchmark(OperationsPerInvoke = Depth * Batches, Description = "pipelined x64: node")]
    [BenchmarkCategory("pipelined")]
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    [SuppressMessage("Reliability", "CA2012", Justification = "Each ValueTask is stored once and awaited once, in order; AsTask would allocate and skew the measurement.")]
    public async ValueTask NodePipelined()
    {
        for (int batch = 0; batch < Batches; batch++)
        {
            for (int i = 0; i < Depth; i++)
            {
                _inFlight[i] = _client.RequestAsync("bench-server", _payload);
            }

            for (int i = 0; i < Depth; i++)
            {
                (await _inFlight[i]).Dispose();
            }
        }
    }

    private static ValueTask Echo(PeerRequest request, CancellationToken cancellationToken)
    {
        request.Payload.Span.CopyTo(request.Response.GetSpan(request.Payload.Length));
        request.Response.Advance(request.Payload.Length);
        return ValueTask.CompletedTask;
    }
}
