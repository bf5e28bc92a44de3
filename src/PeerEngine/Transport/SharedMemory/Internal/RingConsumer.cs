namespace PeerEngine.Transport.SharedMemory.Internal;

/// <summary>
/// The reading end of one ring. The other process writes the tail; this side owns the head and keeps
/// its own copy, so what the peer writes into the head field changes nothing here.
/// </summary>
/// <remarks>
/// The peer is not trusted: every tail read is checked against what this side knows (it never goes
/// back, and it is never more than the capacity ahead of the head). A tail that fails the check makes
/// the ring corrupt for good, and the connection closes; no offset is ever computed from an unchecked
/// value, so no access leaves the ring's data.
/// </remarks>
internal sealed unsafe class RingConsumer(RingView ring)
{
    private readonly RingView _ring = ring;
    private ulong _head;
    private ulong _tail;
    private bool _corrupt;

    /// <summary>Bytes consumed so far.</summary>
    public ulong Position => _head;

    /// <summary>Whether the peer has written an impossible tail; the ring is then never read again.</summary>
    public bool IsCorrupt => _corrupt;

    /// <summary>The producer has closed its end: once <see cref="Available"/> is 0 after this, the stream ended.</summary>
    public bool ProducerClosed => Volatile.Read(ref *_ring.Closed) != 0;

    /// <summary>Bytes ready to read, or -1 when the ring is corrupt.</summary>
    public long Available()
    {
        if (_corrupt)
        {
            return -1;
        }

        // Acquire: the bytes up to this tail were written before it was published.
        ulong tail = Volatile.Read(ref *_ring.Tail);
        if (tail < _tail || tail - _head > (ulong)_ring.Capacity)
        {
            _corrupt = true;
            return -1;
        }

        _tail = tail;
        return (long)(tail - _head);
    }

    /// <summary>
    /// Copies up to <paramref name="destination"/>'s length of the bytes last seen by
    /// <see cref="Available"/>, and frees their room for the producer. Returns the count copied.
    /// </summary>
    public int Read(Span<byte> destination)
    {
        if (_corrupt)
        {
            // Not even the bytes published before: the peer that wrote them is not to be believed.
            return 0;
        }

        int count = (int)Math.Min((ulong)destination.Length, _tail - _head);
        if (count == 0)
        {
            return 0;
        }

        int offset = _ring.OffsetOf(_head);
        int first = Math.Min(count, _ring.Capacity - offset);
        new ReadOnlySpan<byte>(_ring.Data + offset, first).CopyTo(destination);
        if (first < count)
        {
            new ReadOnlySpan<byte>(_ring.Data, count - first).CopyTo(destination[first..]);
        }

        _head += (ulong)count;

        // Release: the copy above is done before the producer may overwrite that room.
        Volatile.Write(ref *_ring.Head, _head);
        return count;
    }

    /// <summary>
    /// Says this side is about to sleep. The caller must look at <see cref="Available"/> again after
    /// this and before sleeping: a producer that published just before it saw no sleeper.
    /// </summary>
    public void AnnounceSleep() => Interlocked.Exchange(ref *_ring.ConsumerAsleep, 1);

    /// <summary>Withdraws <see cref="AnnounceSleep"/> after finding data on the second look.</summary>
    public void CancelSleep() => Volatile.Write(ref *_ring.ConsumerAsleep, 0);

    /// <summary>
    /// After freeing room: whether the producer said it waits for room, clearing that (one wake-up per
    /// wait). The full fence pairs with the producer's exchange before its second look at the head.
    /// </summary>
    public bool TakeProducerWaiting()
    {
        Interlocked.MemoryBarrier();
        return Volatile.Read(ref *_ring.ProducerWaiting) != 0 && Interlocked.Exchange(ref *_ring.ProducerWaiting, 0) != 0;
    }
}
