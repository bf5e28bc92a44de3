using System.Runtime.Versioning;

using BenchmarkDotNet.Attributes;

namespace PeerEngine.Benchmarks.Redis;

/// <summary>
/// A node's lookup of its peers from the Redis discovery's cache (what <c>PeerNode</c> does on a miss,
/// and any caller of <c>Discover</c>), against the registry file's lock-free scan as the baseline.
/// 100 peers are published to a real redis-server and read once; heartbeats and refreshes go on in the
/// background while it is measured, as in a running node.
/// </summary>
[Config(typeof(BenchmarkConfig))]
[SupportedOSPlatform("linux")]
public class RedisDiscoverBenchmarks
{
    private const int Peers = 100;
    private readonly List<IPeerRegistration> _registrations = [];
    private readonly PeerRecord[] _buffer = new PeerRecord[Peers];
    private LocalRedis _redis = null!;
    private RedisPeerDiscovery _publisher = null!;
    private RedisPeerDiscovery _reader = null!;
    private string _folder = "";
    private PeerRegistry _file = null!;

    [GlobalSetup]
    public void Setup()
    {
        _redis = new LocalRedis();
        _publisher = new RedisPeerDiscovery(new RedisDiscoveryOptions { Configuration = _redis.Address, Cluster = "bench" });
        _reader = new RedisPeerDiscovery(new RedisDiscoveryOptions { Configuration = _redis.Address, Cluster = "bench" });
        (_folder, _file) = RegistryBenchmarkFiles.Open(capacity: 1024);
        for (int i = 0; i < Peers; i++)
        {
            var peer = new PeerAnnouncement { Id = $"peer-{i}", Host = "127.0.0.1", Port = 10_000 + i };
            _registrations.Add(_publisher.PublishAsync(peer).AsTask().GetAwaiter().GetResult());
            _registrations.Add(_file.Publish(peer));
        }

        int read = _reader.RefreshAsync().GetAwaiter().GetResult().Count;
        if (read != Peers)
        {
            throw new InvalidOperationException($"the reader sees {read} peers, not {Peers}");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _registrations.ForEach(r => r.Dispose());
        _reader.Dispose();
        _publisher.Dispose();
        _file.Dispose();
        Directory.Delete(_folder, recursive: true);
        _redis.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int FileRegistry() => _file.Discover(_buffer);

    [Benchmark]
    public int RedisCache() => _reader.Discover(_buffer);
}
