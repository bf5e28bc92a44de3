namespace PeerEngine.Transport.SharedMemory.Internal;

/// <summary>One ring of a mapping: the addresses of its header fields and data, and its capacity.</summary>
/// <remarks>Built from this side's own copy of the capacity, never from one read back out of the mapping.</remarks>
internal readonly unsafe struct RingView
{
    public RingView(byte* mapping, int ring, int capacity)
    {
        byte* header = mapping + RingLayout.RingHeader(ring);
        Tail = (ulong*)(header + RingLayout.TailOffset);
        Closed = (int*)(header + RingLayout.ClosedOffset);
        Head = (ulong*)(header + RingLayout.HeadOffset);
        ConsumerAsleep = (int*)(header + RingLayout.ConsumerAsleepOffset);
        ProducerWaiting = (int*)(header + RingLayout.ProducerWaitingOffset);
        Data = mapping + RingLayout.RingData(ring, capacity);
        Capacity = capacity;
    }

    public ulong* Tail { get; }

    public int* Closed { get; }

    public ulong* Head { get; }

    public int* ConsumerAsleep { get; }

    public int* ProducerWaiting { get; }

    public byte* Data { get; }

    public int Capacity { get; }

    /// <summary>The offset in the data of byte count <paramref name="position"/>.</summary>
    public int OffsetOf(ulong position) => (int)(position & (ulong)(Capacity - 1));
}
