using System.Buffers;
using System.IO.Pipelines;
using PeerEngine.Buffers;

namespace PeerEngine.Tests.Buffers;

public sealed class BlockMemoryPoolTests : IDisposable
{
    private readonly BlockMemoryPool _pool = new();

    public void Dispose() => _pool.Dispose();

    [Theory]
    [InlineData(-1, 4096)]
    [InlineData(1, 4096)]
    [InlineData(4096, 4096)]
    [InlineData(4097, 16384)]
    [InlineData(16384, 16384)]
    [InlineData(60_000, 65536)]
    [InlineData(65536, 65536)]
    public void A_rent_gets_the_smallest_block_that_fits(int asked, int expected)
    {
        using IMemoryOwner<byte> block = _pool.Rent(asked);

        Assert.Equal(expected, block.Memory.Length);
    }

    [Fact]
    public void More_than_the_largest_block_is_refused_so_a_pipe_goes_elsewhere_for_it()
    {
        Assert.Equal(65536, _pool.MaxBufferSize);
        Assert.Throws<ArgumentOutOfRangeException>(() => _pool.Rent(65537));
    }

    [Fact]
    public void A_returned_block_is_handed_out_again_once_even_when_disposed_twice()
    {
        IMemoryOwner<byte> block = _pool.Rent(16384);
        block.Dispose();
        block.Dispose();

        Assert.Throws<ObjectDisposedException>(() => block.Memory);
        IMemoryOwner<byte> again = _pool.Rent(16384);
        IMemoryOwner<byte> next = _pool.Rent(16384);
        Assert.Same(block, again);
        Assert.NotSame(again, next);
        Assert.Equal(16384, again.Memory.Length);
    }

    [Fact]
    public void A_size_keeps_only_its_share_of_returned_blocks()
    {
        int kept = BlockMemoryPool.RetainedBytesPerSize / 65536;
        IMemoryOwner<byte>[] burst = [.. Enumerable.Range(0, kept + 10).Select(_ => _pool.Rent(65536))];
        foreach (IMemoryOwner<byte> block in burst)
        {
            block.Dispose();
        }

        var reused = new HashSet<IMemoryOwner<byte>>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < kept + 10; i++)
        {
            reused.Add(_pool.Rent(65536));
        }

        Assert.Equal(kept, reused.Count(burst.Contains));
    }

    [Fact]
    public async Task A_pipe_on_the_pool_gives_its_block_back_once_the_reader_has_consumed_it()
    {
        var pipe = new Pipe(new PipeOptions(pool: _pool, useSynchronizationContext: false));
        Memory<byte> memory = pipe.Writer.GetMemory(65536);
        memory.Span[..1000].Fill(7);
        pipe.Writer.Advance(1000);
        await pipe.Writer.FlushAsync();

        ReadResult read = await pipe.Reader.ReadAsync();
        Assert.Equal(1000, read.Buffer.Length);
        pipe.Reader.AdvanceTo(read.Buffer.End);

        using IMemoryOwner<byte> block = _pool.Rent(65536);
        Assert.Equal(7, block.Memory.Span[999]);
    }
}
