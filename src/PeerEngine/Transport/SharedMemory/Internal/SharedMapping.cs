using System.Runtime.InteropServices;

namespace PeerEngine.Transport.SharedMemory.Internal;

/// <summary>
/// A connection's shared memory, mapped: an anonymous <c>memfd</c> (nothing in <c>/dev/shm</c> or on
/// disk; the kernel frees the pages when the last process unmaps them, however it ends).
/// </summary>
/// <remarks>
/// The creator seals the file's size before handing it over (<c>F_SEAL_SHRINK | F_SEAL_GROW</c>), and
/// the receiver maps it only once it has seen those seals and the size: a peer that could shrink the
/// file would make every later access past the new end a SIGBUS, which .NET cannot catch. The handle
/// unmaps on release, and the connection's loops hold a reference while they touch the memory, so an
/// abort racing a loop never unmaps memory in use.
/// </remarks>
internal sealed unsafe class SharedMapping : SafeHandle
{
    private const string DescriptorName = "peerengine-ring";

    private SharedMapping(nint address, long size, int capacity)
        : base(nint.Zero, ownsHandle: true)
    {
        SetHandle(address);
        Size = size;
        Capacity = capacity;
    }

    /// <summary>Each ring's capacity in bytes.</summary>
    public int Capacity { get; }

    /// <summary>The mapping's size: the header page and both rings.</summary>
    public long Size { get; }

    public override bool IsInvalid => handle == nint.Zero;

    public byte* Pointer => (byte*)handle;

    /// <summary>Ring 0 is written by the dialler, ring 1 by the listener.</summary>
    public RingView Ring(int ring) => new((byte*)handle, ring, Capacity);

    /// <summary>
    /// Makes a sealed memfd with rings of <paramref name="capacity"/> bytes and maps it. The descriptor
    /// is returned to be passed to the peer, and closed by the caller then.
    /// </summary>
    /// <exception cref="IOException">A call failed (no memfd, no memory); the message says which.</exception>
    public static SharedMapping Create(int capacity, out int descriptor)
    {
        if (!RingLayout.IsValidCapacity(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A ring is a power of two from 4 KiB to 64 MiB.");
        }

        long size = RingLayout.MappingSize(capacity);
        int fd = LinuxNative.MemfdCreate(DescriptorName, LinuxNative.MfdCloexec | LinuxNative.MfdAllowSealing);
        if (fd < 0)
        {
            throw Failed("memfd_create");
        }

        try
        {
            // ftruncate on a memfd reserves nothing: pages are allocated when first touched.
            if (LinuxNative.Ftruncate(fd, size) != 0)
            {
                throw Failed("ftruncate");
            }

            if (LinuxNative.Fcntl(fd, LinuxNative.FAddSeals, LinuxNative.FSealShrink | LinuxNative.FSealGrow | LinuxNative.FSealSeal) != 0)
            {
                throw Failed("fcntl(F_ADD_SEALS)");
            }

            SharedMapping mapping = Map(fd, size, capacity);
            byte* p = mapping.Pointer;
            *(uint*)(p + RingLayout.VersionOffset) = RingLayout.Version;
            *(uint*)(p + RingLayout.CapacityOffset) = (uint)capacity;
            Volatile.Write(ref *(ulong*)(p + RingLayout.MagicOffset), RingLayout.Magic);
            descriptor = fd;
            return mapping;
        }
        catch
        {
            LinuxNative.Close(fd);
            throw;
        }
    }

    /// <summary>
    /// Maps a memfd received from a peer, once it has checked that the peer can no longer resize it,
    /// that its size is that of rings of <paramref name="capacity"/> bytes, and that its header agrees.
    /// Returns <c>null</c> with the reason otherwise. Takes ownership of <paramref name="fd"/> (closes it).
    /// </summary>
    public static SharedMapping? Open(int fd, int capacity, out string? problem)
    {
        try
        {
            if (!RingLayout.IsValidCapacity(capacity))
            {
                problem = $"a ring capacity of {capacity} bytes (a power of two from 4 KiB to 64 MiB is expected)";
                return null;
            }

            int seals = LinuxNative.Fcntl(fd, LinuxNative.FGetSeals, 0);
            if (seals < 0 || (seals & (LinuxNative.FSealShrink | LinuxNative.FSealGrow)) != (LinuxNative.FSealShrink | LinuxNative.FSealGrow))
            {
                problem = seals < 0 ? "a descriptor that is not a sealable memfd" : "a memfd whose size is not sealed";
                return null;
            }

            long size = LinuxNative.Lseek(fd, 0, LinuxNative.SeekEnd);
            if (size != RingLayout.MappingSize(capacity))
            {
                problem = $"a mapping of {size} bytes for rings of {capacity} (expected {RingLayout.MappingSize(capacity)})";
                return null;
            }

            SharedMapping mapping = Map(fd, size, capacity);
            byte* p = mapping.Pointer;
            ulong magic = Volatile.Read(ref *(ulong*)(p + RingLayout.MagicOffset));
            uint version = *(uint*)(p + RingLayout.VersionOffset);
            uint written = *(uint*)(p + RingLayout.CapacityOffset);
            if (magic != RingLayout.Magic || version != RingLayout.Version || written != (uint)capacity)
            {
                mapping.Dispose();
                problem = $"a mapping header that does not match (magic 0x{magic:X16}, version {version}, capacity {written})";
                return null;
            }

            problem = null;
            return mapping;
        }
        finally
        {
            LinuxNative.Close(fd);
        }
    }

    protected override bool ReleaseHandle() => LinuxNative.Munmap(handle, (nuint)Size) == 0;

    private static SharedMapping Map(int fd, long size, int capacity)
    {
        nint address = LinuxNative.Mmap(0, (nuint)size, LinuxNative.ProtRead | LinuxNative.ProtWrite, LinuxNative.MapShared, fd, 0);
        if (address == -1)
        {
            throw Failed("mmap");
        }

        return new SharedMapping(address, size, capacity);
    }

    private static IOException Failed(string call) => new($"Cannot make the shared-memory ring: {call} failed: {LinuxNative.LastError()}.");
}
