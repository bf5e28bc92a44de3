using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Runtime.Versioning;

using static PeerEngine.Registry.Internal.RegistryLayout;

namespace PeerEngine.Registry.Internal;

/// <summary>
/// One registry file as this process holds it: the one <see cref="FileStream"/> (which carries every
/// fcntl lock), the mapping made through it, the in-process writer gate, the slots this process owns
/// and the readers' decoded-slot cache. Shared by every <see cref="PeerRegistry"/> of the process on
/// the same file (<see cref="RegistryFileCache"/>), never opened twice.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class RegistryFile : IDisposable
{
    private readonly FileStream _stream;
    private readonly MappedView _view;

    // Further descriptors of this same file, opened under another path (a hard link, a bind mount).
    // They stay open until this file closes: closing one would drop every record lock of the process.
    private readonly List<FileStream> _aliases = [];

    private RegistryFile(string path, FileStream stream, MappedView view, int capacity)
    {
        FilePath = path;
        _stream = stream;
        _view = view;
        Capacity = capacity;
        _owned = new bool[capacity];
        _cache = new CachedSlot?[capacity];
        _deadOwners = new DeadOwner?[capacity];
        _probedAtMs = new long[capacity];
        using ViewLease lease = view.Acquire();
        Epoch = (ulong)lease.ReadInt64(EpochOffset);
    }

    /// <summary>The random number written at creation: equal epochs mean the same file or a copy of it.</summary>
    public ulong Epoch { get; }

    public string FilePath { get; }

    public int Capacity { get; }

    /// <summary>How many <see cref="PeerRegistry"/> instances of this process use the file; guarded by <see cref="RegistryFileCache"/>.</summary>
    internal int References { get; set; }

    /// <summary>Opens (creating or finishing an interrupted creation when needed) and maps the registry at the canonical <paramref name="path"/>.</summary>
    public static RegistryFile Open(string path, int capacityIfCreating, TimeSpan lockTimeout, long nowMs)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The peer registry format is little-endian and is mapped in native byte order.");
        }

        DefaultRegistryPath.EnsureFolder(path);
        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.OpenOrCreate,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite,
            UnixCreateMode = DefaultRegistryPath.FileMode,
            BufferSize = 0,
        });
        try
        {
            HeaderStatus status = ReadHeader(stream, path, out int capacity);
            if (status == HeaderStatus.NeedsInitialisation)
            {
                // Another process may be creating the file right now: its writer lock covers the
                // whole creation and its ready flag is written last, so wait for the lock and look again.
                AcquireFileLock(stream, path, lockTimeout, lastWriterPid: 0);
                try
                {
                    status = ReadHeader(stream, path, out capacity);
                    if (status == HeaderStatus.NeedsInitialisation)
                    {
                        Initialise(stream, path, capacityIfCreating, nowMs);
                        capacity = capacityIfCreating;
                    }
                }
                finally
                {
                    FileLocks.Unlock(stream, WriterLockOffset);
                }
            }

            var view = new MappedView(stream, FileLength(capacity));
            return new RegistryFile(path, stream, view, capacity);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _view.Dispose();

        // Closing the descriptor also drops any liveness lock still held, which is what we want: the
        // registry is closed only after its registrations are released.
        _stream.Dispose();
        foreach (FileStream alias in _aliases)
        {
            alias.Dispose();
        }
    }

    /// <summary>
    /// Whether <paramref name="candidate"/>, just opened under another path, is this very file; if so
    /// its descriptor is kept (never closed early) and the caller uses this file instead. Epochs tell
    /// copies from strangers; a nonce written through this mapping and read back through the
    /// candidate's descriptor tells the file itself from a copy.
    /// </summary>
    public bool TryAdopt(RegistryFile candidate, TimeSpan lockTimeout)
    {
        if (candidate.Epoch != Epoch || candidate.Capacity != Capacity)
        {
            return false;
        }

        bool same = true;
        try
        {
            EnterWriter(lockTimeout);
            try
            {
                using ViewLease lease = _view.Acquire();
                long nonce = BinaryPrimitives.ReadInt64LittleEndian(RandomNumberGenerator.GetBytes(8)) | 1;
                lease.WriteInt64(AliasProbeOffset, nonce);
                Interlocked.MemoryBarrier();
                byte[] seen = new byte[sizeof(long)];
                ReadAt(candidate._stream, seen, AliasProbeOffset);
                lease.WriteInt64(AliasProbeOffset, 0);
                same = BinaryPrimitives.ReadInt64LittleEndian(seen) == nonce;
            }
            finally
            {
                ExitWriter();
            }
        }
        finally
        {
            // When unsure (the probe failed), keeping the descriptor open is the safe side.
            if (same)
            {
                candidate._view.Dispose();
                _aliases.Add(candidate._stream);
            }
        }

        return same;
    }

    private static HeaderStatus ReadHeader(FileStream stream, string path, out int capacity)
    {
        long length = RandomAccess.GetLength(stream.SafeFileHandle);
        byte[] header = new byte[HeaderSize];
        int read = ReadAt(stream, header, 0);
        return RegistryHeader.Validate(path, header.AsSpan(0, read), length, out capacity);
    }

    private static int ReadAt(FileStream stream, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(stream.SafeFileHandle, buffer[total..], offset + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    /// <summary>Writes a fresh header, ready flag last. Called with the writer lock held.</summary>
    private static void Initialise(FileStream stream, string path, int capacity, long nowMs)
    {
        long length = RandomAccess.GetLength(stream.SafeFileHandle);
        byte[] existing = new byte[HeaderSize];
        int read = ReadAt(stream, existing, 0);
        bool interruptedCreation = read >= sizeof(ulong) && BinaryPrimitives.ReadUInt64LittleEndian(existing) == Magic;
        if (length > 0 && !interruptedCreation && !IsAllZero(stream, length))
        {
            throw new RegistryFormatException(path, $"not a PeerEngine peer registry: the first {HeaderSize} bytes are zero but the file ({length} bytes) holds data");
        }

        // Grow only: a reader mapping a file that shrank under it dies of SIGBUS.
        long needed = FileLength(capacity);
        if (length < needed)
        {
            stream.SetLength(needed);
        }

        byte[] header = new byte[HeaderSize];
        RegistryHeader.WriteInitial(header, capacity, BinaryPrimitives.ReadUInt64LittleEndian(RandomNumberGenerator.GetBytes(8)), nowMs);
        RandomAccess.Write(stream.SafeFileHandle, header, 0);
        byte[] ready = new byte[sizeof(uint)];
        BinaryPrimitives.WriteUInt32LittleEndian(ready, ReadyValue);
        RandomAccess.Write(stream.SafeFileHandle, ready, ReadyOffset);
    }

    private static bool IsAllZero(FileStream stream, long length)
    {
        byte[] chunk = new byte[64 * 1024];
        for (long offset = 0; offset < length; offset += chunk.Length)
        {
            int read = ReadAt(stream, chunk, offset);
            if (chunk.AsSpan(0, read).ContainsAnyExcept((byte)0))
            {
                return false;
            }

            if (read < chunk.Length)
            {
                break;
            }
        }

        return true;
    }
}
