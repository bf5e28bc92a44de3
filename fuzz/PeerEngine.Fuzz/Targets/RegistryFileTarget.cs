using System.Buffers.Binary;

using PeerEngine.Registry;
using PeerEngine.Registry.Internal;

using static PeerEngine.Fuzz.InvariantViolationException;

namespace PeerEngine.Fuzz.Targets;

/// <summary>
/// The registry file reader: the input is written as the registry file, which is then opened,
/// scanned, swept, scanned again and published to, as any process on the machine would. The only
/// exceptions allowed are <see cref="PeerRegistryException"/>s, each one line naming the file; a
/// file refused as unreadable (<see cref="RegistryFormatException"/>) is left byte for byte as it
/// was; a scan accounts for no more slots than the file has. Hangs are the fuzzer's timeout.
/// </summary>
/// <remarks>
/// Byte 0 of the input is not part of the file: bit 0 set recomputes the header's checksum and bit
/// 1 every whole slot's before the file is written. Without them nearly every mutation of a field
/// would stop at a checksum; with them it reaches the checks of the fields themselves.
/// The clock is fixed at <see cref="Now"/>, the time the seed registries were written at, so the
/// heartbeats of their slots are fresh and mutations reach the live-peer paths, not only the
/// expired ones. The file lives in a private temporary folder, rewritten for every input.
/// </remarks>
public sealed class RegistryFileTarget : IFuzzTarget, IDisposable
{
    /// <summary>The fixed registry clock: 2026-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly PeerAnnouncement Newcomer = new() { Id = "fuzz-newcomer", Host = "127.0.0.1", Port = 4000 };

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("peerengine-fuzz-");

    /// <inheritdoc />
    public string Name => "registry";

    private string FilePath => Path.Combine(_folder.FullName, "registry.bin");

    /// <summary>Builds the input this target reads: the file, with its checksums fixed up or not.</summary>
    public static byte[] Recipe(bool fixHeaderChecksum, bool fixSlotChecksums, ReadOnlySpan<byte> file) =>
        [(byte)((fixHeaderChecksum ? 1 : 0) | (fixSlotChecksums ? 2 : 0)), .. file];

    /// <summary>Opens a registry at <paramref name="path"/> on the fixed clock, as the target and its seeds do.</summary>
    public static PeerRegistry Open(string path, int capacityIfCreating) =>
        new(new PeerRegistryOptions { Path = path, Capacity = capacityIfCreating, LockTimeout = TimeSpan.FromSeconds(1) }, new FixedClock(Now));

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        byte[] file = input.IsEmpty ? [] : input[1..].ToArray();
        if (!input.IsEmpty)
        {
            FixChecksums(file, fixHeader: (input[0] & 1) != 0, fixSlots: (input[0] & 2) != 0);
        }

        File.WriteAllBytes(FilePath, file);
        try
        {
            ReadAndWrite();
        }
        catch (RegistryFormatException refused)
        {
            CheckMessage(refused);
            Check(File.ReadAllBytes(FilePath).AsSpan().SequenceEqual(file), "a file refused as unreadable is left untouched");
        }
        catch (PeerRegistryException failed)
        {
            CheckMessage(failed);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _folder.Delete(recursive: true);

    private static void FixChecksums(Span<byte> file, bool fixHeader, bool fixSlots)
    {
        if (fixHeader && file.Length >= RegistryLayout.HeaderSize)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(file[RegistryLayout.HeaderCrcOffset..], RegistryHeader.ComputeChecksum(file));
        }

        for (int offset = RegistryLayout.HeaderSize; fixSlots && offset + RegistryLayout.SlotSize <= file.Length; offset += RegistryLayout.SlotSize)
        {
            Span<byte> slot = file.Slice(offset, RegistryLayout.SlotSize);
            BinaryPrimitives.WriteUInt32LittleEndian(slot[RegistryLayout.CrcOffset..], SlotCodec.ComputeChecksum(slot));
        }
    }

    private void ReadAndWrite()
    {
        using PeerRegistry registry = Open(FilePath, capacityIfCreating: 4);
        long fileSlots = (new FileInfo(FilePath).Length - RegistryLayout.HeaderSize) / RegistryLayout.SlotSize;
        Check(registry.Capacity >= 1 && registry.Capacity <= fileSlots, $"capacity {registry.Capacity} fits the file's {fileSlots} slots");

        CheckScan(registry);
        registry.Sweep();
        CheckScan(registry);
        using IPeerRegistration registration = registry.Publish(Newcomer);
        Check(registry.Discover().Any(peer => peer.Id == Newcomer.Id), "a peer just published is discovered");
    }

    private static void CheckScan(PeerRegistry registry)
    {
        PeerRecord[] peers = registry.Snapshot(out ScanSummary summary);
        long accounted = (long)summary.Live + summary.Expired + summary.Dead + summary.InFlux + summary.Corrupt;
        Check(summary.Live == peers.Length, "the summary counts the peers returned");
        Check(accounted <= registry.Capacity, $"a scan accounts for {accounted} slots of {registry.Capacity}");
        foreach (PeerRecord peer in peers)
        {
            Check(PeerFieldRules.IsValidId(System.Text.Encoding.UTF8.GetBytes(peer.Id)), $"a discovered peer's id '{peer.Id}' is valid");
        }
    }

    private void CheckMessage(PeerRegistryException error) =>
        Check(error.Message.Contains(FilePath, StringComparison.Ordinal) && !error.Message.Contains('\n', StringComparison.Ordinal),
            $"a registry error is one line naming the file: {error.Message}");

    /// <summary>A clock that never moves; timers still run on real time, which only the heartbeats of a registration use.</summary>
    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
