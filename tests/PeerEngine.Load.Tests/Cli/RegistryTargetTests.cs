using System.Net;
using System.Runtime.Versioning;
using PeerEngine.Load.Cli;
using PeerEngine.Load.Reports;
using PeerEngine.Load.Running;
using PeerEngine.Load.Targets;
using PeerEngine.Load.Tests.Support;
using PeerEngine.Registry;

namespace PeerEngine.Load.Tests.Cli;

[SupportedOSPlatform("linux")]
public sealed class RegistryTargetTests : IAsyncLifetime, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "peerengine-load-tests", Guid.NewGuid().ToString("N"));
    private readonly StringWriter _out = new();
    private readonly StringWriter _error = new();
    private PeerRegistry _registry = null!;
    private PeerEngineEchoPeer _first = null!;
    private PeerEngineEchoPeer _second = null!;
    private readonly List<IPeerRegistration> _published = [];

    private string RegistryPath => Path.Combine(_folder, "peers.registry");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _registry = new PeerRegistry(new PeerRegistryOptions { Path = RegistryPath });
        _first = await PeerEngineEchoPeer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), "echo-a");
        _second = await PeerEngineEchoPeer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), "echo-b");
        foreach ((string id, PeerEngineEchoPeer peer) in new[] { ("echo-a", _first), ("echo-b", _second) })
        {
            _published.Add(await _registry.PublishAsync(new PeerAnnouncement { Id = id, Host = "127.0.0.1", Port = ((IPEndPoint)peer.EndPoint).Port }));
        }
    }

    public async Task DisposeAsync()
    {
        foreach (IPeerRegistration registration in _published)
        {
            await registration.DisposeAsync();
        }

        await _first.DisposeAsync();
        await _second.DisposeAsync();
    }

    public void Dispose()
    {
        _registry.Dispose();
        _out.Dispose();
        _error.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Loads_every_live_peer_of_a_registry()
    {
        int exit = await RunAsync("--target", $"registry:{RegistryPath}", "--scenario", "flood", "--connections", "1",
            "--simulation", "inject:rate=200,during=500ms", "--warm-up", "0s", "--report-folder", _folder, "--report-format", "json", "-q");

        Assert.Equal(0, exit);
        Assert.Contains("echo-a at", _out.ToString(), StringComparison.Ordinal);
        Assert.Contains("echo-b at", _out.ToString(), StringComparison.Ordinal);
        LoadResult result = JsonReport.Read(await File.ReadAllTextAsync(Directory.GetFiles(_folder, "report.json", SearchOption.AllDirectories).Single()));
        Assert.Equal(100, result.Scenario("flood").Ok);
        Assert.Contains("2 peers", result.Scenario("flood").Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_peer_id_is_one_line_and_exit_1()
    {
        Assert.Equal(ExitCodes.Error, await RunAsync("--target", $"registry:{RegistryPath}#echo-z", "--duration", "1s", "-q"));
        Assert.Equal($"error: registry:{RegistryPath}#echo-z: no live peer 'echo-z' in the registry.", _error.ToString().TrimEnd());
    }

    private Task<int> RunAsync(params string[] args) => Command.RunAsync(_out, _error, args);
}
