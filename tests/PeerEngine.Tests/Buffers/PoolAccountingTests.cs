using System.Buffers;
using System.IO.Pipelines;
using PeerEngine.Buffers;

namespace PeerEngine.Tests.Buffers;

/// <summary>
/// Tests that read the process-wide counts of pooled buffers. They run alone (no other test rents or
/// returns meanwhile), after the parallel tests; each compares counts before and after itself.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PoolAccountingGroup
{
    public const string Name = "Pool accounting";
}

/// <summary>The block pool's accounting mode, on a pool of each test's own (so these run in parallel with anything).</summary>
public sealed class BlockPoolAccountingTests : IDisposable
{
    private static readonly int[] AskedSizes = [1, 4096, 4097, 16384, 60_000, 65536];
    private readonly BlockMemoryPool _pool = new();

    public void Dispose() => _pool.Dispose();

    [Fact]
    public void The_test_process_runs_with_pool_diagnostics_on()
    {
        // Set by the test project's runtimeconfig; without it every count below would stay 0.
        Assert.True(PoolDiagnostics.Enabled);
        Assert.True(AppContext.TryGetSwitch(PoolDiagnostics.SwitchName, out bool on) && on);
    }

    [Fact]
    public void Rents_and_returns_of_every_size_are_counted()
    {
        IMemoryOwner<byte>[] blocks = [.. AskedSizes.Select(size => _pool.Rent(size))];
        Assert.Equal(6, _pool.Counters.Rents);
        Assert.Equal(6, _pool.Counters.Outstanding);

        foreach (IMemoryOwner<byte> block in blocks[..4])
        {
            block.Dispose();
        }

        Assert.Equal(4, _pool.Counters.Returns);
        Assert.Equal(2, _pool.Counters.Outstanding);
        Assert.Equal(0, _pool.Counters.DoubleReturns);
    }

    [Fact]
    public void The_blocks_still_out_are_listed_with_the_stack_that_rented_them()
    {
        IMemoryOwner<byte> returned = _pool.Rent(4096);
        IMemoryOwner<byte> kept = _pool.Rent(16384);
        returned.Dispose();

        string outstanding = Assert.Single(_pool.DescribeOutstanding());
        Assert.StartsWith("1 block(s) of 16 KiB rented at", outstanding, StringComparison.Ordinal);
        Assert.Contains(nameof(The_blocks_still_out_are_listed_with_the_stack_that_rented_them), outstanding, StringComparison.Ordinal);

        kept.Dispose();
        Assert.Empty(_pool.DescribeOutstanding());
    }

    [Fact]
    public void A_block_disposed_twice_is_recorded_with_its_stack_and_handed_out_once()
    {
        IMemoryOwner<byte> block = _pool.Rent(4096);
        block.Dispose();
        block.Dispose();

        Assert.Equal(1, _pool.Counters.Returns);
        Assert.Equal(1, _pool.Counters.DoubleReturns);
        Assert.Contains(nameof(A_block_disposed_twice_is_recorded_with_its_stack_and_handed_out_once), Assert.Single(_pool.Counters.DoubleReturnStacks), StringComparison.Ordinal);
        IMemoryOwner<byte> again = _pool.Rent(4096);
        Assert.Same(block, again);
        Assert.NotSame(again, _pool.Rent(4096));
    }

    [Fact]
    public void Two_threads_disposing_one_block_at_once_return_it_once_and_record_the_other()
    {
        const int Rounds = 2000;
        IMemoryOwner<byte>[] blocks = [.. Enumerable.Range(0, Rounds).Select(_ => _pool.Rent(16384))];

        // Two threads of their own (not the pool's, which other tests keep busy), released together for each block.
        using var together = new Barrier(2);
        Thread[] disposers = [.. Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            foreach (IMemoryOwner<byte> block in blocks)
            {
                together.SignalAndWait();
                block.Dispose();
            }
        }))];
        foreach (Thread thread in disposers)
        {
            thread.Start();
        }

        foreach (Thread thread in disposers)
        {
            thread.Join();
        }

        Assert.Equal(Rounds, _pool.Counters.Returns);
        Assert.Equal(Rounds, _pool.Counters.DoubleReturns);
        Assert.Equal(0, _pool.Counters.Outstanding);

        // Each block went back once: renting them all again gives distinct blocks.
        IMemoryOwner<byte>[] rented = [.. Enumerable.Range(0, Rounds).Select(_ => _pool.Rent(16384))];
        Assert.Equal(rented.Length, rented.Distinct(ReferenceEqualityComparer.Instance).Count());
    }

    [Fact]
    public async Task A_pipe_gives_back_every_block_it_rented_once_both_ends_complete()
    {
        var pipe = new Pipe(new PipeOptions(pool: _pool, minimumSegmentSize: 4096, pauseWriterThreshold: 0, useSynchronizationContext: false));
        for (int i = 0; i < 50; i++)
        {
            Memory<byte> memory = pipe.Writer.GetMemory(5000);
            memory.Span[..5000].Fill((byte)i);
            pipe.Writer.Advance(5000);
            await pipe.Writer.FlushAsync();
        }

        Assert.True(_pool.Counters.Outstanding > 10, $"{_pool.Counters}");
        await pipe.Writer.CompleteAsync();
        ReadResult read = await pipe.Reader.ReadAsync();
        Assert.Equal(250_000, read.Buffer.Length);
        pipe.Reader.AdvanceTo(read.Buffer.End);
        await pipe.Reader.CompleteAsync();

        Assert.Equal(0, _pool.Counters.Outstanding);
        Assert.Equal(0, _pool.Counters.DoubleReturns);
    }
}

/// <summary>Pooled buffers' accounting mode: their pool is the process's, so these run alone.</summary>
[Collection(PoolAccountingGroup.Name)]
public sealed class PooledBufferAccountingTests
{
    [Fact]
    public void Rents_copies_and_returns_are_counted()
    {
        PoolCounters counters = PooledBuffer.Counters;
        long rents = counters.Rents;
        long returns = counters.Returns;

        PooledBuffer written = PooledBuffer.Rent();
        PooledBuffer copy = PooledBuffer.CopyOf(new ReadOnlySequence<byte>(new byte[10_000]));
        Assert.Equal(rents + 2, counters.Rents);
        Assert.Equal(returns, counters.Returns);

        written.Return();
        copy.Return();
        Assert.Equal(returns + 2, counters.Returns);
    }

    [Fact]
    public void A_buffer_returned_twice_throws_is_recorded_and_does_not_go_back_twice()
    {
        PoolCounters counters = PooledBuffer.Counters;
        long doubles = counters.DoubleReturns;
        PooledBuffer buffer = PooledBuffer.Rent();
        buffer.Return();
        long returns = counters.Returns;

        var error = Assert.Throws<InvalidOperationException>(buffer.Return);

        Assert.Contains("returned twice", error.Message, StringComparison.Ordinal);
        Assert.Equal(doubles + 1, counters.DoubleReturns);
        Assert.Equal(returns, counters.Returns);
        Assert.Contains(counters.DoubleReturnStacks, s => s.Contains(nameof(A_buffer_returned_twice_throws_is_recorded_and_does_not_go_back_twice), StringComparison.Ordinal));

        // Back once only: two renters never share it.
        PooledBuffer first = PooledBuffer.Rent();
        PooledBuffer second = PooledBuffer.Rent();
        Assert.NotSame(first, second);
        first.Return();
        second.Return();
    }

    [Fact]
    public void A_payload_disposed_twice_returns_its_buffer_once()
    {
        PoolCounters counters = PooledBuffer.Counters;
        long doubles = counters.DoubleReturns;
        long returns = counters.Returns;
        PooledBuffer buffer = PooledBuffer.Rent();
        var payload = new PooledPayload(buffer);
        PooledPayload copy = payload;

        payload.Dispose();
        payload.Dispose();
        copy.Dispose();

        Assert.Equal(returns + 1, counters.Returns);
        Assert.Equal(doubles, counters.DoubleReturns);
    }
}
