using PeerEngine.Buffers;

namespace PeerEngine;

/// <summary>
/// Bytes that belong to a pool: a response or message payload handed to application code. Read it,
/// then dispose it exactly where you are done, and the memory goes back for the next message.
/// </summary>
/// <remarks>
/// A value type over a pooled buffer and the buffer's version: disposing one copy makes every other
/// copy inert (its <see cref="Memory"/> throws <see cref="ObjectDisposedException"/>) rather than
/// letting a stale copy read or return someone else's bytes.
/// </remarks>
public readonly struct PooledPayload : IDisposable
{
    private readonly PooledBuffer? _buffer;
    private readonly int _version;

    internal PooledPayload(PooledBuffer buffer)
    {
        _buffer = buffer;
        _version = buffer.Version;
    }

    /// <summary>The payload's length in bytes.</summary>
    public int Length => Live?.Length ?? 0;

    /// <summary>The payload. Valid until this value is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The payload was disposed.</exception>
    public ReadOnlyMemory<byte> Memory => _buffer is null
        ? ReadOnlyMemory<byte>.Empty
        : Live?.WrittenMemory ?? throw new ObjectDisposedException(nameof(PooledPayload));

    /// <summary>The payload as a span. Valid until this value is disposed.</summary>
    /// <exception cref="ObjectDisposedException">The payload was disposed.</exception>
    public ReadOnlySpan<byte> Span => Memory.Span;

    /// <summary>Copies the payload into a new array (for callers that must keep it).</summary>
    public byte[] ToArray() => Memory.ToArray();

    /// <summary>Returns the memory to its pool. Disposing twice, or disposing a copy, does nothing more.</summary>
    public void Dispose() => Live?.Return();

    private PooledBuffer? Live => _buffer is not null && _buffer.Version == _version ? _buffer : null;
}
