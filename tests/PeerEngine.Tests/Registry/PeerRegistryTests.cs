using System.Runtime.Versioning;
using System.Text.Json;

using PeerEngine.Registry;
using PeerEngine.Registry.Internal;

namespace PeerEngine.Tests.Registry;

/// <summary>One process: publish, discover, unpublish, capacity, conflicts and the shared descriptor, on real files.</summary>
[SupportedOSPlatform("linux")]
public sealed class PeerRegistryTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Publish_then_discover_returns_the_peer_and_unpublish_removes_it()
    {
        using var registry = Open();
        long before = registry.Generation;

        IPeerRegistration registration = registry.Publish(new PeerAnnouncement { Id = "node-a", Host = "127.0.0.1", Port = 5001 });
        IReadOnlyList<PeerRecord> peers = registry.Discover();

        PeerRecord peer = Assert.Single(peers);
        Assert.Equal("node-a", peer.Id);
        Assert.Equal("127.0.0.1", peer.Host);
        Assert.Equal(5001, peer.Port);
        Assert.Equal(PeerTransport.Tcp, peer.Transport);
        Assert.Null(peer.UnixPath);
        Assert.Equal(Environment.ProcessId, peer.ProcessId);
        Assert.True(peer.StartTime <= DateTimeOffset.UtcNow);
        Assert.True(DateTimeOffset.UtcNow - peer.LastSeen < TimeSpan.FromSeconds(5));
        Assert.Equal(before + 1, registry.Generation);

        registration.Dispose();

        Assert.Empty(registry.Discover());
        Assert.Equal(before + 2, registry.Generation);
        registration.Dispose();
        Assert.Equal(before + 2, registry.Generation);
    }

    [Fact]
    public void A_second_instance_sees_peers_of_the_first_and_both_share_one_descriptor()
    {
        using var first = Open();
        int openBefore = RegistryFileCache.OpenCount;
        using var second = new PeerRegistry(new PeerRegistryOptions { Path = Path.Combine(_folder.FolderPath, ".", "registry.bin") });

        Assert.Equal(openBefore, RegistryFileCache.OpenCount);
        Assert.Same(first.File, second.File);
        using IPeerRegistration a = first.Publish(new PeerAnnouncement { Id = "a", Host = "::1", Port = 1 });
        using IPeerRegistration b = second.Publish(new PeerAnnouncement { Id = "b", Transport = PeerTransport.UnixSocket, UnixPath = "/run/b.sock" });

        Assert.Equal(["a", "b"], first.Discover().Select(p => p.Id).Order());
        PeerRecord unix = second.Discover().Single(p => p.Id == "b");
        Assert.Equal(PeerTransport.UnixSocket, unix.Transport);
        Assert.Equal("/run/b.sock", unix.UnixPath);
        Assert.Equal("", unix.Host);
        Assert.Equal(0, unix.Port);
    }

    [Fact]
    public void Discover_into_a_caller_buffer_allocates_nothing_and_reports_the_total_when_the_buffer_is_short()
    {
        using var registry = Open();
        var registrations = Enumerable.Range(0, 10)
            .Select(i => registry.Publish(new PeerAnnouncement { Id = $"p{i}", Host = "127.0.0.1", Port = 1000 + i }))
            .ToList();
        var buffer = new PeerRecord[16];
        registry.Discover(buffer);

        long allocated = GC.GetAllocatedBytesForCurrentThread();
        int count = 0;
        for (int i = 0; i < 100; i++)
        {
            count = registry.Discover(buffer);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - allocated);
        Assert.Equal(10, count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"p{i}"), buffer[..10].Select(p => p.Id).Order(StringComparer.Ordinal));

        var small = new PeerRecord[3];
        Assert.Equal(10, registry.Discover(small));
        Assert.All(small, p => Assert.StartsWith("p", p.Id, StringComparison.Ordinal));
        registrations.ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task Threads_of_one_process_publishing_and_reading_at_once_keep_the_registry_exact()
    {
        // fcntl locks belong to the process, so these threads are serialised only by the in-process
        // gate; each uses its own PeerRegistry instance, all sharing one descriptor.
        const int Threads = 4;
        const int Cycles = 200;
        using var observer = Open();
        long before = observer.Generation;
        using var stop = new CancellationTokenSource();
        var anomalies = new List<string>();
        Task reader = Task.Run(() =>
        {
            var buffer = new PeerRecord[64];
            while (!stop.IsCancellationRequested)
            {
                int count = observer.Discover(buffer);
                var ids = buffer[..Math.Min(count, buffer.Length)].Select(p => p.Id).ToList();
                if (ids.Count != ids.Distinct().Count() || ids.Any(id => !id.StartsWith('t')))
                {
                    anomalies.Add(string.Join(",", ids));
                }
            }
        });

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Run(() =>
        {
            using var registry = Open();
            for (int i = 0; i < Cycles; i++)
            {
                using IPeerRegistration registration = registry.Publish(new PeerAnnouncement { Id = $"t{t}-{i}", Host = "127.0.0.1", Port = 1 + i });
            }
        })));
        await stop.CancelAsync();
        await reader;

        Assert.Empty(anomalies);
        Assert.Equal(before + (Threads * Cycles * 2), observer.Generation);
        Assert.Empty(observer.Discover());
    }

    [Fact]
    public void A_full_registry_throws_RegistryFullException_without_touching_live_slots_and_accepts_again_after_an_unpublish()
    {
        using var registry = Open(capacity: 4);
        var registrations = Enumerable.Range(0, 4)
            .Select(i => registry.Publish(new PeerAnnouncement { Id = $"n{i}", Host = "127.0.0.1", Port = 2000 + i }))
            .ToList();

        var full = Assert.Throws<RegistryFullException>(() => registry.Publish(new PeerAnnouncement { Id = "n4", Host = "127.0.0.1", Port = 2004 }));

        Assert.Equal(4, full.Capacity);
        Assert.Contains(registry.FilePath, full.Message, StringComparison.Ordinal);
        Assert.Contains("full", full.Message, StringComparison.Ordinal);
        Assert.Equal(["n0", "n1", "n2", "n3"], registry.Discover().Select(p => p.Id).Order());

        registrations[2].Dispose();
        using IPeerRegistration again = registry.Publish(new PeerAnnouncement { Id = "n4", Host = "127.0.0.1", Port = 2004 });
        Assert.Equal(["n0", "n1", "n3", "n4"], registry.Discover().Select(p => p.Id).Order());
        Assert.Equal(4, registry.Capacity);
        registrations.ForEach(r => r.Dispose());
    }

    [Fact]
    public void An_existing_file_keeps_its_capacity_whatever_a_later_opener_asks_for()
    {
        using var first = Open(capacity: 8);
        using var second = new PeerRegistry(new PeerRegistryOptions { Path = _folder.RegistryPath, Capacity = 100 });

        Assert.Equal(8, second.Capacity);
        Assert.Equal(RegistryLayout.FileLength(8), new FileInfo(_folder.RegistryPath).Length);
    }

    [Fact]
    public void Publishing_an_id_that_a_live_peer_holds_throws_PeerIdConflictException()
    {
        using var registry = Open();
        using IPeerRegistration first = registry.Publish(new PeerAnnouncement { Id = "same", Host = "127.0.0.1", Port = 1 });

        var conflict = Assert.Throws<PeerIdConflictException>(() => registry.Publish(new PeerAnnouncement { Id = "same", Host = "127.0.0.1", Port = 2 }));

        Assert.Equal("same", conflict.PeerId);
        Assert.Equal(1, Assert.Single(registry.Discover()).Port);
    }

    [Theory]
    [InlineData("", "127.0.0.1", 1, "id")]
    [InlineData("has space", "127.0.0.1", 1, "id")]
    [InlineData("ok", "", 1, "host")]
    [InlineData("ok", "127.0.0.1", 0, "port")]
    [InlineData("ok", "127.0.0.1", 65536, "port")]
    [InlineData("ok", "bad host", 1, "Host")]
    public void Invalid_announcements_are_refused_with_a_message_naming_the_rule(string id, string host, int port, string named)
    {
        using var registry = Open();

        var error = Assert.Throws<ArgumentException>(() => registry.Publish(new PeerAnnouncement { Id = id, Host = host, Port = port }));

        Assert.Contains(named, error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(registry.Discover());
    }

    [Fact]
    public void An_overlong_id_is_refused()
    {
        using var registry = Open();

        Assert.Throws<ArgumentException>(() => registry.Publish(new PeerAnnouncement { Id = new string('x', 65), Host = "h", Port = 1 }));
    }

    [Fact]
    public void A_bracketed_IPv6_host_is_stored_without_brackets()
    {
        using var registry = Open();
        using IPeerRegistration registration = registry.Publish(new PeerAnnouncement { Id = "v6", Host = "[::1]", Port = 7000 });

        Assert.Equal("::1", Assert.Single(registry.Discover()).Host);
    }

    [Fact]
    public void Disposing_the_registry_unpublishes_its_peers_and_further_calls_throw()
    {
        var registry = Open();
        registry.Publish(new PeerAnnouncement { Id = "x", Host = "h", Port = 1 });
        using var observer = Open();
        Assert.Single(observer.Discover());

        registry.Dispose();

        Assert.Empty(observer.Discover());
        Assert.Throws<ObjectDisposedException>(() => registry.Discover());
        Assert.Throws<ObjectDisposedException>(() => registry.Publish(new PeerAnnouncement { Id = "y", Host = "h", Port = 1 }));
    }

    [Fact]
    public void The_file_is_private_to_its_owner()
    {
        using var registry = Open();

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_folder.RegistryPath));
    }

    [Fact]
    public void A_missing_folder_is_created_owner_only()
    {
        string path = Path.Combine(_folder.FolderPath, "nested", "deeper", "registry.bin");

        using var registry = new PeerRegistry(new PeerRegistryOptions { Path = path });

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
    }

    [Fact]
    public void A_folder_other_users_can_write_is_refused()
    {
        string shared = _folder.PathOf("shared");
        Directory.CreateDirectory(shared);
        File.SetUnixFileMode(shared, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);

        var error = Assert.Throws<PeerRegistryException>(() => new PeerRegistry(new PeerRegistryOptions { Path = Path.Combine(shared, "registry.bin") }));

        Assert.Contains("writable by other users", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(shared, "registry.bin")));
    }

    [Fact]
    public void The_default_path_is_per_user_and_never_in_tmp()
    {
        string path = PeerRegistryOptions.DefaultPath;
        string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        string? state = Environment.GetEnvironmentVariable("XDG_STATE_HOME");

        Assert.EndsWith(Path.Combine("peerengine", "registry.bin"), path, StringComparison.Ordinal);
        if (!string.IsNullOrEmpty(runtime) && Directory.Exists(runtime))
        {
            Assert.StartsWith(runtime, path, StringComparison.Ordinal);
        }
        else if (!string.IsNullOrEmpty(state))
        {
            Assert.StartsWith(state, path, StringComparison.Ordinal);
        }
        else
        {
            Assert.StartsWith(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state"), path, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("/tmp/", path, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerRegistry(new PeerRegistryOptions { Path = _folder.RegistryPath, HeartbeatInterval = TimeSpan.FromSeconds(20) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerRegistry(new PeerRegistryOptions { Path = _folder.RegistryPath, Capacity = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerRegistry(new PeerRegistryOptions { Path = _folder.RegistryPath, Capacity = PeerRegistryOptions.MaxCapacity + 1 }));
        Assert.False(File.Exists(_folder.RegistryPath));

        var defaults = new PeerRegistryOptions();
        Assert.Equal(TimeSpan.FromSeconds(10), defaults.Ttl);
        Assert.Equal(TimeSpan.FromSeconds(2), defaults.HeartbeatInterval);
        Assert.Equal(1024, defaults.Capacity);
        Assert.Null(defaults.Path);
    }

    [Fact]
    public void Export_writes_host_port_lines_and_the_host_cli_json_shape()
    {
        using var registry = Open();
        using IPeerRegistration v4 = registry.Publish(new PeerAnnouncement { Id = "four", Host = "127.0.0.1", Port = 4000 });
        using IPeerRegistration v6 = registry.Publish(new PeerAnnouncement { Id = "six", Host = "::1", Port = 6000 });
        using IPeerRegistration unix = registry.Publish(new PeerAnnouncement { Id = "unix", Transport = PeerTransport.UnixSocket, UnixPath = "/run/u.sock" });
        PeerRecord[] peers = [.. registry.Discover().OrderBy(p => p.Id, StringComparer.Ordinal)];

        Assert.Equal("127.0.0.1:4000\n[::1]:6000\n", PeerExport.ToHostPortLines(peers));

        using JsonDocument json = JsonDocument.Parse(PeerExport.ToJson(peers));
        JsonElement[] elements = [.. json.RootElement.EnumerateArray()];
        Assert.Equal(3, elements.Length);
        Assert.All(elements, e => Assert.Equal(["id", "host", "port", "pid", "lastSeen"], e.EnumerateObject().Select(p => p.Name)));
        Assert.Equal("::1", elements[1].GetProperty("host").GetString());
        Assert.Equal(6000, elements[1].GetProperty("port").GetInt32());
        Assert.Equal(Environment.ProcessId, elements[1].GetProperty("pid").GetInt32());
        Assert.Equal(peers[1].LastSeen.ToUnixTimeMilliseconds(), elements[1].GetProperty("lastSeen").GetInt64());
        Assert.Equal(JsonValueKind.Number, elements[1].GetProperty("lastSeen").ValueKind);
        Assert.Equal("", elements[2].GetProperty("host").GetString());

        using var stream = new MemoryStream();
        PeerExport.WriteJson(stream, peers);
        Assert.Equal(PeerExport.ToJson(peers), System.Text.Encoding.UTF8.GetString(stream.ToArray()));
        Assert.Equal("[]", PeerExport.ToJson([]));
    }

    [Fact]
    public async Task PublishAsync_publishes_through_the_abstraction_and_the_registration_disposes_asynchronously()
    {
        using var registry = Open();

        // Through the interface the node uses, so a backend change cannot silently drop a member.
        IPeerRegistration registration = await ((IPeerDiscovery)registry).PublishAsync(new PeerAnnouncement { Id = "async", Host = "h", Port = 9 });
        Assert.Equal("async", registration.Peer.Id);
        Assert.Single(((IPeerDiscovery)registry).Discover());
        await registration.DisposeAsync();

        Assert.Empty(((IPeerDiscovery)registry).Discover());
    }

    [Fact]
    public void Crc32C_matches_the_standard_check_value()
    {
        // The CRC-32C check value from the catalogue of parametrised CRCs.
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
    }

    private PeerRegistry Open(int capacity = 1024) => new(new PeerRegistryOptions { Path = _folder.RegistryPath, Capacity = capacity });
}
