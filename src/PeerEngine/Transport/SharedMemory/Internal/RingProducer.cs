namespace PeerEngine.Transport.SharedMemory.Internal;

/// <summary>
/// The writing end of one ring. This side owns the tail and keeps its own copy; the other process
/// writes the head, and every head read is checked before it is used.
/// </summary>
/// <remarks>
/// A head that goes back, or passes the tail, makes the ring corrupt for good (the connection closes).
/// Writes go only to the room between the checked head and this side's own tail, inside the ring's data.
/// </remarks>
internal sealed unsafe class RingProducer(RingView ring)
{
    private readonly RingView _ring = ring;
    private ulong _tail;
    private ulong _head;
    private bool _corrupt;

    /// <summary>Bytes written so far.</summary>
    public ulong Position => _tail;

    public int Capacity => _ring.Capacity;

    /// <summary>Whether the peer has written an impossible head; the ring is then never written again.</summary>
    public bool IsCorrupt => _corrupt;

    /// <summary>Room to write, or -1 when the ring is corrupt.</summary>
    public long Free()
    {
        if (_corrupt)
        {
            return -1;
        }

        // Acquire: the consumer finished copying out the bytes below this head.
        ulong head = Volatile.Read(ref *_ring.Head);
        if (head < _head || head > _tail)
        {
            _corrupt = true;
            return -1;
        }

        _head = head;
        return _ring.Capacity - (long)(_tail - head);
    }

    /// <summary>
    /// Copies as much of <paramref name="source"/> as fits and publishes it. Returns the count written:
    /// 0 when the ring is full, -1 when it is corrupt.
    /// </summary>
    public int Write(ReadOnlySpan<byte> source)
    {
        long free = Free();
        if (free <= 0)
        {
            return (int)free;
        }

        int count = (int)Math.Min(source.Length, free);
        int offset = _ring.OffsetOf(_tail);
        int first = Math.Min(count, _ring.Capacity - offset);
        source[..first].CopyTo(new Span<byte>(_ring.Data + offset, first));
        if (first < count)
        {
            source[first..count].CopyTo(new Span<byte>(_ring.Data, count - first));
        }

        _tail += (ulong)count;

        // Release: the bytes are in the ring before the consumer can see the tail that covers them.
        Volatile.Write(ref *_ring.Tail, _tail);
        return count;
    }

    /// <summary>Ends the stream: after the bytes already published, the consumer sees the end.</summary>
    public void Close() => Volatile.Write(ref *_ring.Closed, 1);

    /// <summary>
    /// After publishing: whether the consumer said it sleeps, clearing that (one wake-up per sleep).
    /// The full fence orders the tail store before the flag load; the consumer's exchange orders its
    /// flag store before its tail load, so one of the two always sees the other.
    /// </summary>
    public bool TakeConsumerAsleep()
    {
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref *_ring.ConsumerAsleep) != 0 && Interlocked.Exchange(ref *_ring.ConsumerAsleep, 0) != 0;
    }

    /// <summary>Says this side waits for room; look at <see cref="Free"/> again before waiting.</summary>
    public void AnnounceWaiting() => Interlocked.Exchange(ref *_ring.ProducerWaiting, 1);

    /// <summary>Withdraws <see cref="AnnounceWaiting"/> after finding room on the second look.</summary>
    public void CancelWaiting() => Volatile.Write(ref *_ring.ProducerWaiting, 0);
}
