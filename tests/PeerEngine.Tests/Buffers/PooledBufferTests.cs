using System.Buffers;
using PeerEngine.Buffers;

namespace PeerEngine.Tests.Buffers;

public sealed class PooledBufferTests
{
    [Theory]
    [InlineData(100)]
    [InlineData(64 * 1024)]
    [InlineData(1024 * 1024)]
    public void A_buffer_grows_to_any_payload_and_keeps_what_was_written(int length)
    {
        PooledBuffer buffer = PooledBuffer.Rent();
        byte[] expected = [.. Enumerable.Range(0, length).Select(i => (byte)(i * 7))];
        foreach (byte[] piece in expected.Chunk(1000))
        {
            piece.CopyTo(buffer.GetSpan(piece.Length));
            buffer.Advance(piece.Length);
        }

        Assert.Equal(expected, buffer.WrittenSpan.ToArray());
        buffer.Return();
    }

    [Fact]
    public void Payload_arrays_go_back_to_the_pool_they_came_from()
    {
        // Up to 128 KiB from PeerEngine's pool, beyond it from the shared one; returning either
        // must not throw (a pool refuses an array of a length it never hands out).
        foreach (int length in new[] { 16, 4097, 65536, 128 * 1024, 128 * 1024 + 1, 1024 * 1024 })
        {
            byte[] array = PayloadArrays.Rent(length);
            Assert.True(array.Length >= length);
            PayloadArrays.Return(array);
        }
    }
}
