using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace PeerEngine.Transport.Tls.Internal;

/// <summary>
/// The inner connection's two pipes as the one <see cref="Stream"/> that <see cref="System.Net.Security.SslStream"/>
/// reads records from and writes records to. A zero-byte read waits for data without taking any, so
/// an idle TLS connection rents no record buffer.
/// </summary>
internal sealed class PipeStream(PipeReader input, PipeWriter output) : Stream
{
    // The send loop writes records, and SslStream itself may answer from a read (a TLS 1.3 key update,
    // the close_notify reply): one writer at a time on the pipe. Never disposed: it holds no handle
    // unless AvailableWaitHandle is asked for, and a write may still be leaving it.
    private readonly SemaphoreSlim _writing = new(1, 1);

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        input.TryRead(out ReadResult ready) && TryTake(ready, buffer, out int taken)
            ? new ValueTask<int>(taken)
            : WaitAndReadAsync(buffer, cancellationToken);

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        // The common case, no other writer and room in the pipe, completes without a state machine.
        if (_writing.Wait(0, CancellationToken.None))
        {
            ValueTask<FlushResult> write;
            try
            {
                write = output.WriteAsync(buffer, cancellationToken);
            }
            catch
            {
                _writing.Release();
                throw;
            }

            if (write.IsCompletedSuccessfully)
            {
                _writing.Release();
                return write.Result.IsCompleted ? ValueTask.FromException(Closed()) : ValueTask.CompletedTask;
            }

            return FinishWriteAsync(write);
        }

        return WaitAndWriteAsync(buffer, cancellationToken);
    }

    /// <summary>Copies what <paramref name="result"/> holds into <paramref name="buffer"/>; <see langword="false"/> when there is nothing yet and more may come.</summary>
    private bool TryTake(ReadResult result, Memory<byte> buffer, out int taken)
    {
        ReadOnlySequence<byte> received = result.Buffer;
        if (!received.IsEmpty)
        {
            taken = (int)Math.Min(received.Length, buffer.Length);
            received.Slice(0, taken).CopyTo(buffer.Span);
            input.AdvanceTo(received.GetPosition(taken));
            return true; // 0 for a zero-byte read: data is there now
        }

        input.AdvanceTo(received.End);
        taken = 0;
        return result.IsCompleted || result.IsCanceled;
    }

    // Pooled state machines: a connection reads and writes many times, and its waits must not allocate.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> WaitAndReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (TryTake(result, buffer, out int taken))
            {
                return taken;
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FinishWriteAsync(ValueTask<FlushResult> write)
    {
        FlushResult result;
        try
        {
            result = await write.ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }

        if (result.IsCompleted)
        {
            throw Closed();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitAndWriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        FlushResult result;
        try
        {
            result = await output.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writing.Release();
        }

        if (result.IsCompleted)
        {
            throw Closed();
        }
    }

    private static ConnectionResetException Closed() => new("The connection's sending side is closed.");

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // SslStream is only ever driven asynchronously here; the synchronous members exist for Stream's sake.
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
