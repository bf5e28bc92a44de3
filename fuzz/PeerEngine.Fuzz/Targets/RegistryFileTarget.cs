using System.Buffers.Binary;

using Microsoft.Win32.SafeHandles;

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
/// expired ones.
/// <para>
/// Only what the registry does is paid per input. The file lives in a private folder on tmpfs
/// (<c>/dev/shm</c>) when the machine has one: on the disk's file system, truncating, rewriting and
/// mapping the file costs about 0.8 ms of the 1 ms an input takes (the seeds in a loop on the
/// shared 2-core machine: 810 µs per input in /tmp, 175 µs in /dev/shm). The input is written
/// through one descriptor the target keeps for its life (truncated to the input's length, then
/// overwritten), and the untouched check reads back through it: no open, lock and close of the
/// file per input besides the registry's own, which are what is under test. That descriptor is
/// never closed while a registry is open, so it cannot drop the registry's fcntl locks.
/// </para>
/// </remarks>
public sealed class RegistryFileTarget : IFuzzTarget, IDisposable
{
    /// <summary>The fixed registry clock: 2026-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly PeerAnnouncement Newcomer = new() { Id = "fuzz-newcomer", Host = "127.0.0.1", Port = 4000 };

    // Where the private folder goes when the machine has it: memory, not a disk.
    private const string Tmpfs = "/dev/shm";

    private readonly DirectoryInfo _folder;
    private readonly SafeFileHandle _file;
    private byte[] _readBack = new byte[64 * 1024];

    /// <summary>Creates the private folder and the file every input is written to.</summary>
    public RegistryFileTarget()
    {
        _folder = Directory.Exists(Tmpfs)
            ? Directory.CreateDirectory(Path.Combine(Tmpfs, $"peerengine-fuzz-{Guid.NewGuid():N}"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute)
            : Directory.CreateTempSubdirectory("peerengine-fuzz-");
        FilePath = Path.Combine(_folder.FullName, "registry.bin");
        _file = File.OpenHandle(FilePath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite);
    }

    /// <inheritdoc />
    public string Name => "registry";

    private string FilePath { get; }

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

        RandomAccess.SetLength(_file, file.Length);
        RandomAccess.Write(_file, file, fileOffset: 0);
        try
        {
            ReadAndWrite();
        }
        catch (RegistryFormatException refused)
        {
            CheckMessage(refused);
            Check(ReadBack().SequenceEqual(file), "a file refused as unreadable is left untouched");
        }
        catch (PeerRegistryException failed)
        {
            CheckMessage(failed);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _file.Dispose();
        _folder.Delete(recursive: true);
    }

    /// <summary>The whole file as it is now.</summary>
    private ReadOnlySpan<byte> ReadBack()
    {
        long length = RandomAccess.GetLength(_file);
        if (_readBack.Length < length)
        {
            _readBack = new byte[length];
        }

        int total = 0;
        while (total < length)
        {
            int read = RandomAccess.Read(_file, _readBack.AsSpan(total, (int)length - total), total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return _readBack.AsSpan(0, total);
    }

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
        long fileSlots = (RandomAccess.GetLength(_file) - RegistryLayout.HeaderSize) / RegistryLayout.SlotSize;
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
