using System.Buffers.Binary;
using System.Runtime.Versioning;
using System.Text;

using PeerEngine.Registry;
using PeerEngine.Registry.Internal;

namespace PeerEngine.Tests.Registry;

/// <summary>Foreign, corrupt, truncated and unknown-version files: a typed one-line error, and the file left byte for byte as it was.</summary>
[SupportedOSPlatform("linux")]
public sealed class RegistryFormatTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_file_of_random_bytes_is_refused_as_foreign_and_left_untouched()
    {
        byte[] junk = new byte[10_000];
        new Random(42).NextBytes(junk);
        junk[0] = (byte)'X';

        RegistryFormatException error = AssertRefusedAndUntouched(junk);

        Assert.Contains("not a PeerEngine peer registry", error.Message, StringComparison.Ordinal);
        Assert.Contains("5045455252454700", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_text_file_is_refused_as_foreign_and_left_untouched()
    {
        RegistryFormatException error = AssertRefusedAndUntouched(Encoding.UTF8.GetBytes("127.0.0.1:5000\n127.0.0.1:5001\n"));

        Assert.Contains("not a PeerEngine peer registry", error.Message, StringComparison.Ordinal);
        Assert.Contains(Convert.ToHexString("127.0.0.1:5000\n1"u8), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_registry_with_a_wrong_magic_is_refused_and_left_untouched()
    {
        byte[] file = ValidRegistry();
        file[3] ^= 0xFF;

        RegistryFormatException error = AssertRefusedAndUntouched(file);

        Assert.Contains("expected magic", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_newer_major_version_is_refused_naming_both_versions()
    {
        byte[] file = ValidRegistry();
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(RegistryLayout.MajorOffset), 2);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(RegistryLayout.MinorOffset), 3);

        RegistryFormatException error = AssertRefusedAndUntouched(file);

        Assert.Contains("version 2.3 is not supported", error.Message, StringComparison.Ordinal);
        Assert.Contains("reads version 1.x", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(RegistryLayout.HeaderSize)]
    [InlineData(RegistryLayout.HeaderSize + (3 * RegistryLayout.SlotSize) + 7)]
    public void A_truncated_registry_is_refused_before_mapping_and_left_untouched(int length)
    {
        byte[] file = ValidRegistry()[..length];

        RegistryFormatException error = AssertRefusedAndUntouched(file);

        Assert.Contains("truncated registry", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_flipped_header_checksum_is_refused_and_left_untouched()
    {
        byte[] file = ValidRegistry();
        file[RegistryLayout.CapacityOffset] ^= 0x01;

        RegistryFormatException error = AssertRefusedAndUntouched(file);

        Assert.Contains("header checksum mismatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_slot_size_is_refused_and_left_untouched()
    {
        byte[] file = ValidRegistry();
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(RegistryLayout.SlotSizeOffset), 256);

        RegistryFormatException error = AssertRefusedAndUntouched(file);

        Assert.Contains("layout mismatch", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zeroed_header_over_live_data_is_refused_and_left_untouched()
    {
        byte[] file = ValidRegistry();
        file.AsSpan(0, RegistryLayout.HeaderSize).Clear();
        file[RegistryLayout.HeaderSize + 100] = 1;

        RegistryFormatException error = AssertRefusedAndUntouched(file);

        Assert.Contains("holds data", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_file_and_an_interrupted_creation_are_initialised()
    {
        File.WriteAllBytes(_folder.RegistryPath, []);
        using (var registry = new PeerRegistry(new PeerRegistryOptions { Path = _folder.RegistryPath, Capacity = 4 }))
        {
            using IPeerRegistration r = registry.Publish(new PeerAnnouncement { Id = "a", Host = "h", Port = 1 });
            Assert.Single(registry.Discover());
        }

        // A creator killed before writing the ready flag leaves our magic with ready = 0.
        byte[] interrupted = ValidRegistry();
        BinaryPrimitives.WriteUInt32LittleEndian(interrupted.AsSpan(RegistryLayout.ReadyOffset), 0);
        File.WriteAllBytes(_folder.RegistryPath, interrupted);
        using var again = new PeerRegistry(new PeerRegistryOptions { Path = _folder.RegistryPath, Capacity = 4 });
        Assert.Empty(again.Discover());
        Assert.Equal(RegistryLayout.ReadyValue, BinaryPrimitives.ReadUInt32LittleEndian(File.ReadAllBytes(_folder.RegistryPath).AsSpan(RegistryLayout.ReadyOffset)));
    }

    [Fact]
    public void A_corrupt_slot_is_skipped_by_readers_and_freed_by_a_sweep_when_nobody_owns_it()
    {
        using var registry = new PeerRegistry(new PeerRegistryOptions { Path = _folder.RegistryPath, Capacity = 4 });
        using (IPeerRegistration doomed = registry.Publish(new PeerAnnouncement { Id = "doomed", Host = "h", Port = 1 }))
        {
            using IPeerRegistration healthy = registry.Publish(new PeerAnnouncement { Id = "healthy", Host = "h", Port = 2 });
        }

        // Forge a live slot whose checksum does not match, as a buggy or hostile writer would.
        using (var raw = new FileStream(_folder.RegistryPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            byte[] slot = new byte[RegistryLayout.SlotSize];
            SlotCodec.EncodeLive(slot, new SlotContent(99, 12345, 10_000, 2_000, 0, 0, "forged", "h", 1, PeerTransport.Tcp, null), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            slot[RegistryLayout.HostOffset] ^= 0x20;

            // Follow the seqlock protocol (a new even sequence), or readers rightly trust their cached copy.
            byte[] seq = new byte[8];
            RandomAccess.Read(raw.SafeFileHandle, seq, RegistryLayout.SlotOffset(0));
            BinaryPrimitives.WriteInt64LittleEndian(slot, BinaryPrimitives.ReadInt64LittleEndian(seq) + 2);
            RandomAccess.Write(raw.SafeFileHandle, slot, RegistryLayout.SlotOffset(0));
        }

        Assert.Empty(registry.Discover());
        registry.File.Scan([], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), out ScanSummary summary);
        Assert.Equal(1, summary.Corrupt);

        Assert.Equal(1, registry.Sweep());
        registry.File.Scan([], DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), out summary);
        Assert.Equal(0, summary.Corrupt);
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    [InlineData(-1L)]
    [InlineData(3_600_000L)]
    public void A_garbage_or_far_future_heartbeat_hides_the_peer_instead_of_throwing_or_keeping_it_forever(long offsetOrValue)
    {
        using var registry = new PeerRegistry(new PeerRegistryOptions { Path = _folder.RegistryPath, Capacity = 4 });
        using IPeerRegistration registration = registry.Publish(new PeerAnnouncement { Id = "odd-clock", Host = "h", Port = 1 });
        long heartbeat = offsetOrValue == 3_600_000L ? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + offsetOrValue : offsetOrValue;

        // The heartbeat is outside the checksum: any process of the user can scribble on it.
        using (var raw = new FileStream(_folder.RegistryPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
        {
            byte[] bytes = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, heartbeat);
            RandomAccess.Write(raw.SafeFileHandle, bytes, RegistryLayout.SlotOffset(0) + RegistryLayout.HeartbeatOffset);
        }

        Assert.Empty(registry.Discover());
        registration.Heartbeat();
        Assert.Single(registry.Discover());
    }

    [Fact]
    public void The_documented_layout_matches_the_code()
    {
        string doc = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "registry-format.md"));

        Assert.Contains("| 0 | `Magic`", doc, StringComparison.Ordinal);
        Assert.Contains($"| {RegistryLayout.GenerationOffset} | `Generation`", doc, StringComparison.Ordinal);
        Assert.Contains($"| {RegistryLayout.HighWaterOffset} | `HighWater`", doc, StringComparison.Ordinal);
        Assert.Contains($"| {RegistryLayout.ReadyOffset} | `Ready`", doc, StringComparison.Ordinal);
        Assert.Contains($"| {RegistryLayout.HeartbeatOffset} | `HeartbeatUnixMs`", doc, StringComparison.Ordinal);
        Assert.Contains($"| {RegistryLayout.IdOffset} | `Id`", doc, StringComparison.Ordinal);
        Assert.Contains($"| {RegistryLayout.HostOffset} | `Host`", doc, StringComparison.Ordinal);
        Assert.Contains($"| {RegistryLayout.PathOffset} | `UnixPath`", doc, StringComparison.Ordinal);
        Assert.Contains($"{RegistryLayout.SlotSize}-byte slots", doc, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PeerEngine.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PeerEngine.sln not found above the test output");
    }

    /// <summary>The bytes of a real registry with one peer published and then unpublished.</summary>
    private byte[] ValidRegistry()
    {
        string path = _folder.PathOf("valid.bin");
        using (var registry = new PeerRegistry(new PeerRegistryOptions { Path = path, Capacity = 8 }))
        {
            registry.Publish(new PeerAnnouncement { Id = "seed", Host = "h", Port = 1 }).Dispose();
        }

        byte[] bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }

    private RegistryFormatException AssertRefusedAndUntouched(byte[] content)
    {
        File.WriteAllBytes(_folder.RegistryPath, content);
        DateTime written = File.GetLastWriteTimeUtc(_folder.RegistryPath);

        var error = Assert.Throws<RegistryFormatException>(() => new PeerRegistry(new PeerRegistryOptions { Path = _folder.RegistryPath }));

        Assert.Equal(content, File.ReadAllBytes(_folder.RegistryPath));
        Assert.Equal(written, File.GetLastWriteTimeUtc(_folder.RegistryPath));
        Assert.Equal(_folder.RegistryPath, error.FilePath);
        Assert.StartsWith(_folder.RegistryPath + ": ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("the file was left untouched.", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);

        // The failed open must not leak the descriptor: a second try fails the same way.
        Assert.Throws<RegistryFormatException>(() => new PeerRegistry(new PeerRegistryOptions { Path = _folder.RegistryPath }));
        return error;
    }
}
