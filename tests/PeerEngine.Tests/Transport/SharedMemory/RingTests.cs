using PeerEngine.Transport.SharedMemory.Internal;

namespace PeerEngine.Tests.Transport.SharedMemory;

/// <summary>The two ends of one ring over a real memfd mapping, in one process.</summary>
public sealed class RingTests : IDisposable
{
    private const int Capacity = RingLayout.MinCapacity;
    private readonly SharedMapping _mapping;

    public RingTests()
    {
        _mapping = SharedMapping.Create(Capacity, out int fd);
        LinuxNative.Close(fd);
    }

    public void Dispose() => _mapping.Dispose();

    [Fact]
    public void A_write_and_its_read_are_the_same_bytes_from_every_starting_offset()
    {
        var producer = new RingProducer(_mapping.Ring(0));
        var consumer = new RingConsumer(_mapping.Ring(0));

        // Writes of capacity - 1 bytes: as 4,095 and 4,096 are coprime, 4,096 of them start at every
        // offset of the ring once, and all but the one at 0 wrap around its end.
        const int length = Capacity - 1;
        var started = new bool[Capacity];
        byte[] written = new byte[length];
        byte[] read = new byte[length];
        for (int i = 0; i < Capacity; i++)
        {
            started[(int)(producer.Position % Capacity)] = true;
            Random.Shared.NextBytes(written);
            Assert.Equal(Capacity, producer.Free());
            Assert.Equal(length, producer.Write(written));
            Assert.Equal(1, producer.Free());
            Assert.Equal(length, consumer.Available());
            Assert.Equal(length, consumer.Read(read));
            Assert.Equal(written, read);
            Assert.Equal(0, consumer.Available());
        }

        Assert.All(started, Assert.True);
    }

    [Fact]
    public void A_full_ring_takes_nothing_more_and_a_read_frees_exactly_its_room()
    {
        var producer = new RingProducer(_mapping.Ring(1));
        var consumer = new RingConsumer(_mapping.Ring(1));
        byte[] data = [.. Enumerable.Range(0, Capacity + 100).Select(i => (byte)(i * 7))];

        Assert.Equal(Capacity, producer.Write(data));
        Assert.Equal(0, producer.Write(data));
        Assert.Equal(Capacity, consumer.Available());

        byte[] some = new byte[10];
        Assert.Equal(10, consumer.Read(some));
        Assert.Equal(data[..10], some);
        Assert.Equal(10, producer.Write(data.AsSpan(Capacity)));
        Assert.Equal(0, producer.Free());

        byte[] rest = new byte[Capacity];
        Assert.Equal(Capacity, consumer.Available());
        Assert.Equal(Capacity, consumer.Read(rest));
        Assert.Equal(data[10..(Capacity + 10)], rest);
    }

    [Fact]
    public async Task A_stream_far_larger_than_the_ring_arrives_whole_while_both_directions_run_at_once()
    {
        // 4 MiB each way through 4 KiB rings, every chunk of a size that does not divide the ring.
        byte[] dialled = RandomBytes(4 << 20, seed: 1);
        byte[] answered = RandomBytes(4 << 20, seed: 2);
        RingView there = _mapping.Ring(0);
        RingView back = _mapping.Ring(1);

        Task<byte[]> receivedThere = Task.Run(() => Consume(new RingConsumer(there), dialled.Length, 777));
        Task<byte[]> receivedBack = Task.Run(() => Consume(new RingConsumer(back), answered.Length, 4_096));
        Task[] ends =
        [
            Task.Run(() => Produce(new RingProducer(there), dialled, 1_000)),
            Task.Run(() => Produce(new RingProducer(back), answered, 3_333)),
            receivedThere,
            receivedBack,
        ];
        await Task.WhenAll(ends).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(dialled, await receivedThere);
        Assert.Equal(answered, await receivedBack);
    }

    [Fact]
    public unsafe void A_tail_beyond_the_capacity_makes_the_ring_corrupt_for_good()
    {
        RingView ring = _mapping.Ring(0);
        var consumer = new RingConsumer(ring);
        *ring.Tail = Capacity + 1;

        Assert.Equal(-1, consumer.Available());
        *ring.Tail = 1;
        Assert.Equal(-1, consumer.Available());
        Assert.True(consumer.IsCorrupt);
        Assert.Equal(0, consumer.Read(new byte[16]));
    }

    [Fact]
    public unsafe void A_tail_that_goes_back_makes_the_ring_corrupt()
    {
        RingView ring = _mapping.Ring(0);
        var producer = new RingProducer(ring);
        var consumer = new RingConsumer(ring);
        producer.Write(new byte[100]);
        Assert.Equal(100, consumer.Available());

        *ring.Tail = 50;
        Assert.Equal(-1, consumer.Available());

        // Not even the 100 bytes published before: the peer is no longer believed (found by the fuzzer).
        Assert.Equal(0, consumer.Read(new byte[100]));
    }

    [Fact]
    public unsafe void A_tail_of_all_ones_is_corrupt_not_an_overflow()
    {
        RingView ring = _mapping.Ring(0);
        var consumer = new RingConsumer(ring);
        *ring.Tail = ulong.MaxValue;

        Assert.Equal(-1, consumer.Available());
    }

    [Fact]
    public unsafe void A_head_past_the_tail_or_going_back_makes_the_ring_corrupt_and_nothing_is_written()
    {
        RingView ring = _mapping.Ring(1);
        var producer = new RingProducer(ring);
        Assert.Equal(200, producer.Write(new byte[200]));
        *ring.Head = 100;
        Assert.Equal(Capacity - 100, producer.Free());

        *ring.Head = 99;
        Assert.Equal(-1, producer.Write(new byte[1]));
        Assert.True(producer.IsCorrupt);

        var other = new RingProducer(_mapping.Ring(0));
        *_mapping.Ring(0).Head = 1;
        Assert.Equal(-1, other.Write(new byte[1]));
        Assert.Equal(0UL, *_mapping.Ring(0).Tail);
    }

    [Fact]
    public void The_end_is_seen_after_the_last_bytes()
    {
        var producer = new RingProducer(_mapping.Ring(0));
        var consumer = new RingConsumer(_mapping.Ring(0));
        producer.Write("abc"u8);
        producer.Close();

        Assert.True(consumer.ProducerClosed);
        Assert.Equal(3, consumer.Available());
    }

    [Fact]
    public void A_sleeping_consumer_is_woken_once_per_announcement()
    {
        var producer = new RingProducer(_mapping.Ring(0));
        var consumer = new RingConsumer(_mapping.Ring(0));
        Assert.False(producer.TakeConsumerAsleep());

        consumer.AnnounceSleep();
        Assert.True(producer.TakeConsumerAsleep());
        Assert.False(producer.TakeConsumerAsleep());

        producer.AnnounceWaiting();
        Assert.True(consumer.TakeProducerWaiting());
        Assert.False(consumer.TakeProducerWaiting());
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        byte[] bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static void Produce(RingProducer producer, byte[] data, int chunk)
    {
        int sent = 0;
        while (sent < data.Length)
        {
            int n = producer.Write(data.AsSpan(sent, Math.Min(chunk, data.Length - sent)));
            Assert.True(n >= 0);
            sent += n;
            if (n == 0)
            {
                Thread.SpinWait(10);
            }
        }
    }

    private static byte[] Consume(RingConsumer consumer, int length, int chunk)
    {
        byte[] received = new byte[length];
        int got = 0;
        while (got < length)
        {
            Assert.True(consumer.Available() >= 0);
            int n = consumer.Read(received.AsSpan(got, Math.Min(chunk, length - got)));
            got += n;
            if (n == 0)
            {
                Thread.SpinWait(10);
            }
        }

        return received;
    }
}
