using System.Buffers;
using System.IO.Pipelines;

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

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> received = result.Buffer;
            if (!received.IsEmpty)
            {
                int length = (int)Math.Min(received.Length, buffer.Length);
                received.Slice(0, length).CopyTo(buffer.Span);
                input.AdvanceTo(received.GetPosition(length));
                return length; // 0 for a zero-byte read: data is there now
            }

            input.AdvanceTo(received.End);
            if (result.IsCompleted || result.IsCanceled)
            {
                return 0;
            }
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
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
            throw new ConnectionResetException("The connection's sending side is closed.");
        }
    }

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
