using System.Buffers;
using PeerEngine.Buffers;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Buffers;

public sealed class PooledPayloadTests
{
    [Fact]
    public void A_payload_holds_a_copy_of_a_multi_segment_sequence()
    {
        byte[] bytes = [.. Enumerable.Range(0, 300).Select(i => (byte)i)];

        using var payload = new PooledPayload(PooledBuffer.CopyOf(SegmentedSequence.Split(bytes, 1, 100, 299)));

        Assert.Equal(bytes, payload.ToArray());
        Assert.Equal(300, payload.Length);
    }

    [Fact]
    public void Disposing_makes_every_copy_inert_instead_of_reading_reused_memory()
    {
        var payload = new PooledPayload(PooledBuffer.CopyOf(new ReadOnlySequence<byte>([1, 2, 3])));
        PooledPayload copy = payload;

        payload.Dispose();
        copy.Dispose();

        Assert.Throws<ObjectDisposedException>(() => copy.Memory);
        Assert.Equal(0, copy.Length);
    }

    [Fact]
    public void The_default_payload_is_empty()
    {
        PooledPayload none = default;

        Assert.True(none.Memory.IsEmpty);
        none.Dispose();
    }

    [Fact]
    public void A_buffer_grows_as_a_handler_writes_in_pieces()
    {
        PooledBuffer buffer = PooledBuffer.Rent();
        for (int i = 0; i < 10_000; i++)
        {
            buffer.GetSpan(1)[0] = (byte)i;
            buffer.Advance(1);
        }

        Assert.Equal(10_000, buffer.Length);
        Assert.Equal(unchecked((byte)9_999), buffer.WrittenSpan[^1]);
        buffer.Return();
        Assert.Equal(0, buffer.Length);
    }
}
