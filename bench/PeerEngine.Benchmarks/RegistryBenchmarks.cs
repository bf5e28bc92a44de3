using System.Globalization;
using System.Runtime.Versioning;

using BenchmarkDotNet.Attributes;

using PeerEngine.Registry;

namespace PeerEngine.Benchmarks;

/// <summary>
/// Discovery snapshots of 10, 100 and 1000 peers into a caller-supplied buffer (target for 100: under
/// 2 µs and 0 B), against the allocating overload.
/// </summary>
[Config(typeof(BenchmarkConfig))]
[SupportedOSPlatform("linux")]
public class RegistryDiscoverBenchmarks
{
    private string _folder = "";
    private PeerRegistry _registry = null!;
    private readonly List<IPeerRegistration> _registrations = [];
    private PeerRecord[] _buffer = [];

    [Params(10, 100, 1000)]
    public int Peers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_folder, _registry) = RegistryBenchmarkFiles.Open(capacity: 1024);
        for (int i = 0; i < Peers; i++)
        {
            _registrations.Add(_registry.Publish(new PeerAnnouncement { Id = $"peer-{i}", Host = "127.0.0.1", Port = 10_000 + i }));
        }

        _buffer = new PeerRecord[Peers];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _registrations.ForEach(r => r.Dispose());
        _registry.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public int Discover() => _registry.Discover(_buffer);

    [Benchmark]
    public int DiscoverAllocating() => _registry.Discover().Count;

}

/// <summary>
/// Discovery of 100 peers while another registry instance publishes and unpublishes a peer about a
/// thousand times a second (the benchmark process may not start child processes; readers take no
/// lock either way, so what a writer costs them is seqlock retries and re-decoding rewritten slots).
/// </summary>
[Config(typeof(BenchmarkConfig))]
[SupportedOSPlatform("linux")]
public class RegistryContendedDiscoverBenchmarks
{
    private const int Peers = 100;
    private string _folder = "";
    private PeerRegistry _registry = null!;
    private readonly PeerRecord[] _buffer = new PeerRecord[Peers + 1];
    private Thread? _writer;
    private volatile bool _stopWriter;

    [GlobalSetup]
    public void Setup()
    {
        (_folder, _registry) = RegistryBenchmarkFiles.Open(capacity: 1024);
        for (int i = 0; i < Peers; i++)
        {
            _registry.Publish(new PeerAnnouncement { Id = $"peer-{i}", Host = "127.0.0.1", Port = 10_000 + i });
        }

        _writer = new Thread(() =>
        {
            using var writer = new PeerRegistry(RegistryBenchmarkFiles.Options(_folder, 1024));
            var peer = new PeerAnnouncement { Id = "churn", Host = "127.0.0.1", Port = 9 };
            while (!_stopWriter)
            {
                writer.Publish(peer).Dispose();
                Thread.Sleep(1);
            }
        })
        { IsBackground = true };
        _writer.Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stopWriter = true;
        _writer?.Join();
        _registry.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark]
    public int DiscoverWhileWriting() => _registry.Discover(_buffer);
}

/// <summary>The writers' costs: the owner's lock-free heartbeat (target under 100 ns) and publish + unpublish (target: publish under 20 µs).</summary>
[Config(typeof(BenchmarkConfig))]
[SupportedOSPlatform("linux")]
public class RegistryWriteBenchmarks
{
    private readonly PeerAnnouncement _peer = new() { Id = "bench-peer", Host = "127.0.0.1", Port = 9000 };
    private string _folder = "";
    private PeerRegistry _registry = null!;
    private IPeerRegistration _registration = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_folder, _registry) = RegistryBenchmarkFiles.Open(capacity: 1024);

        // A realistic neighbourhood: publish scans the used slots for id conflicts and dead owners.
        for (int i = 0; i < 10; i++)
        {
            _registry.Publish(new PeerAnnouncement { Id = $"n{i}", Host = "127.0.0.1", Port = 10_000 + i });
        }

        _registration = _registry.Publish(new PeerAnnouncement { Id = "heartbeating", Host = "127.0.0.1", Port = 9001 });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _registry.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark]
    public void Heartbeat() => _registration.Heartbeat();

    [Benchmark]
    public void PublishUnpublish() => _registry.Publish(_peer).Dispose();
}

/// <summary>Private temporary registry files for the benchmarks.</summary>
[SupportedOSPlatform("linux")]
internal static class RegistryBenchmarkFiles
{
    public static PeerRegistryOptions Options(string folder, int capacity) => new()
    {
        Path = Path.Combine(folder, "registry.bin"),
        Capacity = capacity,

        // Long, so that no background heartbeat lands inside a measurement.
        Ttl = TimeSpan.FromHours(1),
        HeartbeatInterval = TimeSpan.FromMinutes(30),
    };

    public static (string Folder, PeerRegistry Registry) Open(int capacity)
    {
        string folder = Directory.CreateTempSubdirectory("peerengine-bench-" + capacity.ToString(CultureInfo.InvariantCulture) + "-").FullName;
        return (folder, new PeerRegistry(Options(folder, capacity)));
    }
}
