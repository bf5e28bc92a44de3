using System.IO.Pipelines;
using PeerEngine.Transport;
using PeerEngine.Transport.Tls.Internal;

namespace PeerEngine.Tests.Transport.Tls;

/// <summary>The stream TLS reads records from and writes records to: the connection's pipes.</summary>
public sealed class PipeStreamTests
{
    private const int Rounds = 1_000;

    private readonly Pipe _input = InlinePipe();
    private readonly Pipe _output = InlinePipe();
    private readonly byte[] _record = new byte[64];
    private readonly byte[] _buffer = new byte[64];

    [Fact]
    public async Task A_read_that_waits_for_data_allocates_nothing_once_warm()
    {
        var stream = new PipeStream(_input.Reader, _output.Writer);

        double perRead = await AllocatedPerRoundAsync(rounds => WaitingReadsAsync(stream, rounds));

        Assert.True(perRead < 1, $"{perRead:F1} B per read that waited");
    }

    [Fact]
    public async Task A_write_with_room_in_the_pipe_allocates_nothing()
    {
        var stream = new PipeStream(_input.Reader, _output.Writer);

        double perWrite = await AllocatedPerRoundAsync(rounds => WritesAsync(stream, rounds));

        Assert.True(perWrite < 1, $"{perWrite:F1} B per write");
    }

    [Fact]
    public async Task Reads_take_what_is_there_and_a_zero_byte_read_takes_nothing()
    {
        var stream = new PipeStream(_input.Reader, _output.Writer);
        await _input.Writer.WriteAsync(new byte[] { 1, 2, 3, 4, 5 });

        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        Assert.Equal(3, await stream.ReadAsync(_buffer.AsMemory(0, 3)));
        Assert.Equal(2, await stream.ReadAsync(_buffer));
        Assert.Equal(new byte[] { 4, 5 }, _buffer[..2]);

        await _input.Writer.CompleteAsync();
        Assert.Equal(0, await stream.ReadAsync(_buffer));
    }

    [Fact]
    public async Task A_write_after_the_sending_side_closed_fails_as_a_reset()
    {
        var stream = new PipeStream(_input.Reader, _output.Writer);
        await _output.Reader.CompleteAsync();

        await Assert.ThrowsAsync<ConnectionResetException>(() => stream.WriteAsync(_record).AsTask());
    }

    /// <summary>
    /// What <paramref name="run"/> allocates per round once warm. Everything completes inline on
    /// this thread, so this thread's count is the whole cost.
    /// </summary>
    private static async Task<double> AllocatedPerRoundAsync(Func<int, Task> run)
    {
        await run(100);
        long before = GC.GetAllocatedBytesForCurrentThread();
        await run(Rounds);
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Rounds;
    }

    private static Pipe InlinePipe() => new(new PipeOptions(
        readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));

    /// <summary>Reads that each wait for the record written after them; asserted after the loop, since an assertion allocates.</summary>
    private async Task WaitingReadsAsync(PipeStream stream, int rounds)
    {
        int waited = 0;
        long bytes = 0;
        for (int i = 0; i < rounds; i++)
        {
            ValueTask<int> read = stream.ReadAsync(_buffer);
            waited += read.IsCompleted ? 0 : 1;
            await _input.Writer.WriteAsync(_record);
            bytes += await read;
        }

        Assert.Equal(rounds, waited);
        Assert.Equal((long)rounds * _record.Length, bytes);
    }

    private async Task WritesAsync(PipeStream stream, int rounds)
    {
        for (int i = 0; i < rounds; i++)
        {
            await stream.WriteAsync(_record);
            ReadResult written = await _output.Reader.ReadAsync();
            _output.Reader.AdvanceTo(written.Buffer.End);
        }
    }
}
