using System.Globalization;
using System.Runtime.Versioning;

using PeerEngine.Registry;

using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Registry;

/// <summary>
/// The child processes of one registry test and the registry file they share in a scratch folder,
/// with short timings; the children are killed and the folder deleted on dispose.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class RegistryChildren : IDisposable
{
    // Short, so the suite stays fast; heartbeats 8 times per TTL so a loaded machine does not flap.
    public const int TtlMs = 2000;
    public const int HeartbeatMs = 250;
    public static readonly TimeSpan Ttl = TimeSpan.FromMilliseconds(TtlMs);
    public static readonly string TtlArg = TtlMs.ToString(CultureInfo.InvariantCulture);
    public static readonly string HeartbeatArg = HeartbeatMs.ToString(CultureInfo.InvariantCulture);

    private readonly List<ChildProcess> _processes = [];

    public TempFolder Folder { get; } = new();

    public static PeerAnnouncement Peer(string id, int port) => new() { Id = id, Host = "127.0.0.1", Port = port };

    public static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>A child that publishes <paramref name="id"/> and heartbeats until its stdin closes.</summary>
    public ChildProcess StartPublisher(string id, int port) => Track(ChildProcess.Start(
        "publish", Folder.RegistryPath, id, port.ToString(CultureInfo.InvariantCulture), TtlArg, HeartbeatArg));

    /// <summary>Kills <paramref name="process"/> on dispose if it is still running.</summary>
    public ChildProcess Track(ChildProcess process)
    {
        _processes.Add(process);
        return process;
    }

    /// <summary>This process's view of the shared registry file.</summary>
    public PeerRegistry Open(TimeSpan? lockTimeout = null, int capacity = 1024) => new(new PeerRegistryOptions
    {
        Path = Folder.RegistryPath,
        Capacity = capacity,
        Ttl = Ttl,
        HeartbeatInterval = TimeSpan.FromMilliseconds(HeartbeatMs),
        LockTimeout = lockTimeout ?? TimeSpan.FromSeconds(2),
    });

    public void Dispose()
    {
        foreach (ChildProcess process in _processes)
        {
            process.Dispose();
        }

        Folder.Dispose();
    }
}
