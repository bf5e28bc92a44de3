using System.Buffers;
using Microsoft.Extensions.ObjectPool;

namespace PeerEngine.Buffers;

/// <summary>
/// A growable byte buffer, itself pooled: payloads copied out of a connection's receive pipe, and
/// responses written by handlers, live in one of these. Buffers belong to the process, not to a
/// connection, so a quiet connection holds no payload memory whatever it once carried; a large
/// array goes back to <see cref="PayloadArrays"/> as soon as its buffer is returned.
/// </summary>
internal sealed class PooledBuffer : IBufferWriter<byte>
{
    // Enough for every buffer a busy node has out at once; beyond it, extra buffers are dropped to
    // the GC instead of being kept forever.
    private static readonly ObjectPool<PooledBuffer> Pool =
        new DefaultObjectPool<PooledBuffer>(new DefaultPooledObjectPolicy<PooledBuffer>(), maximumRetained: 4096);

    /// <summary>Arrays up to this size stay with their pooled buffer (at most 4,096 buffers × 4 KiB).</summary>
    private const int KeptArrayLength = 4096;

    private byte[] _array = [];
    private int _length;
    private int _rented;

    /// <summary>Rents and returns of every pooled buffer, counted only when <see cref="PoolDiagnostics.Enabled"/>.</summary>
    public static PoolCounters Counters { get; } = new();

    /// <summary>Changes each time the buffer returns to the pool, so stale handles can tell.</summary>
    public int Version { get; private set; }

    public int Length => _length;

    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _length);

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _length);

    public static PooledBuffer Rent()
    {
        PooledBuffer buffer = Pool.Get();
        if (PoolDiagnostics.Enabled)
        {
            buffer._rented = 1;
            Counters.Rented();
        }

        return buffer;
    }

    /// <summary>A buffer holding a copy of <paramref name="source"/>.</summary>
    public static PooledBuffer CopyOf(in ReadOnlySequence<byte> source)
    {
        PooledBuffer buffer = Rent();
        int length = checked((int)source.Length);
        source.CopyTo(buffer.GetSpan(length));
        buffer.Advance(length);
        return buffer;
    }

    /// <summary>
    /// Puts this buffer back in the pool; it must not be used again. A small array stays with it: the
    /// shared array pool keeps only 32 arrays per size and core, so with more requests in flight than
    /// that, renting per message would allocate. A large one goes back to the shared pool at once.
    /// </summary>
    /// <exception cref="InvalidOperationException">Diagnostics mode only: the buffer is not rented (a double return).</exception>
    public void Return()
    {
        if (PoolDiagnostics.Enabled && Interlocked.Exchange(ref _rented, 0) == 0)
        {
            // Put back twice, one buffer would be handed to two renters: refuse, and say so.
            Counters.ReturnedTwice(nameof(PooledBuffer));
            throw new InvalidOperationException($"A {nameof(PooledBuffer)} was returned twice ({Counters}).");
        }

        if (_array.Length > KeptArrayLength)
        {
            PayloadArrays.Return(_array);
            _array = [];
        }

        _length = 0;
        Version++;
        if (PoolDiagnostics.Enabled)
        {
            Counters.Returned();
        }

        Pool.Return(this);
    }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _array.Length - _length);
        _length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return _array.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureCapacity(sizeHint);
        return _array.AsSpan(_length);
    }

    private void EnsureCapacity(int sizeHint)
    {
        int needed = _length + Math.Max(sizeHint, 1);
        if (needed <= _array.Length)
        {
            return;
        }

        // Doubling keeps a handler that writes a large response in small pieces linear; 256 bytes is
        // the smallest array worth renting (ArrayPool's smallest bucket is 16).
        byte[] larger = PayloadArrays.Rent(Math.Max(needed, Math.Max(256, _array.Length * 2)));
        _array.AsSpan(0, _length).CopyTo(larger);
        if (_array.Length != 0)
        {
            PayloadArrays.Return(_array);
        }

        _array = larger;
    }
}
