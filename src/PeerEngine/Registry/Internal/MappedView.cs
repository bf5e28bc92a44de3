using System.Diagnostics;
using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

using Microsoft.Win32.SafeHandles;

namespace PeerEngine.Registry.Internal;

/// <summary>
/// The registry file mapped shared, through the process's one <see cref="FileStream"/> (mapping by
/// path would open and later close a second descriptor, and closing any descriptor of the file drops
/// every fcntl lock this process holds on it). Reads and writes go through <see cref="Marshal"/> on
/// the view's base address because the library is built without unsafe code; a
/// <see cref="ViewLease"/> keeps the mapping alive for the length of one operation, so disposing the
/// registry while another thread reads cannot unmap memory under that reader.
/// </summary>
internal sealed class MappedView : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _accessor;

    public MappedView(FileStream stream, long length)
    {
        _map = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
        try
        {
            _accessor = _map.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
        }
        catch
        {
            _map.Dispose();
            throw;
        }

        // Offset 0 is page-aligned, so the view starts exactly at the file's first byte.
        Debug.Assert(_accessor.PointerOffset == 0, "a view at offset 0 must not be shifted");
        Length = length;
    }

    public long Length { get; }

    public ViewLease Acquire() => new(_accessor.SafeMemoryMappedViewHandle);

    public void Dispose()
    {
        // The handle unmaps only when the last lease is released.
        _accessor.Dispose();
        _map.Dispose();
    }
}

/// <summary>A reference on the mapping for one operation; <see cref="Dispose"/> releases it.</summary>
internal ref struct ViewLease : IDisposable
{
    private readonly SafeMemoryMappedViewHandle _handle;
    private readonly nint _base;
    private bool _held;

    public ViewLease(SafeMemoryMappedViewHandle handle)
    {
        _handle = handle;
        _held = false;

        // Throws ObjectDisposedException once the registry file is closed.
        handle.DangerousAddRef(ref _held);
        _base = handle.DangerousGetHandle();
    }

    public readonly long ReadInt64(int offset) => Marshal.ReadInt64(_base, offset);

    public readonly void WriteInt64(int offset, long value) => Marshal.WriteInt64(_base, offset, value);

    public readonly int ReadInt32(int offset) => Marshal.ReadInt32(_base, offset);

    public readonly void WriteInt32(int offset, int value) => Marshal.WriteInt32(_base, offset, value);

    public readonly void CopyTo(int offset, Span<byte> destination) => _handle.ReadSpan((ulong)offset, destination);

    public readonly void CopyFrom(int offset, ReadOnlySpan<byte> source) => _handle.WriteSpan((ulong)offset, source);

    public void Dispose()
    {
        if (_held)
        {
            _held = false;
            _handle.DangerousRelease();
        }
    }
}
