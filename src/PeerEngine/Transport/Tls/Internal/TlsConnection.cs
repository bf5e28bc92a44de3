using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using PeerEngine.Buffers;

namespace PeerEngine.Transport.Tls.Internal;

/// <summary>
/// The protocol's view of a connection inside TLS, as two pipes and two loops, as a socket connection
/// is. The receive loop decrypts into <see cref="Input"/>'s pooled blocks, with a zero-byte read
/// first so that an idle connection holds no buffer, and hands each read to the protocol inline;
/// <see cref="Output"/> is a pipe that the send loop drains into TLS records, so writers never wait on
/// encryption and small frames written together leave as one record.
/// </summary>
internal sealed class TlsConnection : TransportConnection, IPeerIdentity
{
    // A TLS record carries at most 16 KiB of plaintext: frames are gathered up to that before encrypting.
    private const int RecordSize = 16 * 1024;

    private readonly TransportConnection _inner;
    private readonly SslStream _tls;
    private readonly Pipe _received;
    private readonly Pipe _toSend;
    private string[] _peerIds = [];
    private Exception? _receiveFailure;
    private Task _receiving = Task.CompletedTask;
    private Task _sending = Task.CompletedTask;
    private Task? _disposing;
    private int _aborted;

    public TlsConnection(TransportConnection inner, SslStream tls, long maxReceiveBufferSize, long maxSendBufferSize)
    {
        _inner = inner;
        _tls = tls;
        _received = new Pipe(new PipeOptions(
            pool: BlockMemoryPool.Shared,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: maxReceiveBufferSize,
            resumeWriterThreshold: maxReceiveBufferSize / 2,
            useSynchronizationContext: false));
        _toSend = new Pipe(new PipeOptions(
            pauseWriterThreshold: maxSendBufferSize,
            resumeWriterThreshold: maxSendBufferSize / 2,
            readerScheduler: PipeScheduler.ThreadPool,
            writerScheduler: PipeScheduler.Inline,
            useSynchronizationContext: false));
    }

    public override PipeReader Input => _received.Reader;

    public override PipeWriter Output => _toSend.Writer;

    public override EndPoint? RemoteEndPoint => _inner.RemoteEndPoint;

    public override EndPoint? LocalEndPoint => _inner.LocalEndPoint;

    /// <summary>The ids the peer's certificate names.</summary>
    public string[] PeerIds => _peerIds;

    public string NamedIds => CertificateIdentity.Describe(_peerIds);

    public bool Names(string nodeId) => CertificateIdentity.Names(_peerIds, nodeId);

    /// <remarks>
    /// In TLS 1.3 a server refuses a client's certificate after the client's handshake completed, so
    /// the refusal (an alert) ends the receive loop, which keeps what ended it.
    /// </remarks>
    public string? ExplainRefusal() =>
        Volatile.Read(ref _receiveFailure) is { } failure && TlsFailures.IsTls(failure) ? TlsFailures.Explain(failure) : null;

    /// <summary>Starts receiving and sending, once the handshake authenticated the peer as <paramref name="peerIds"/>.</summary>
    public void Start(string[] peerIds)
    {
        _peerIds = peerIds;
        using (ExecutionContext.SuppressFlow())
        {
            _receiving = ReceiveLoopAsync();
            _sending = SendLoopAsync();
        }
    }

    public override void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        _inner.Abort();
        _toSend.Reader.CancelPendingRead();
    }

    public override ValueTask DisposeAsync()
    {
        lock (_toSend)
        {
            _disposing ??= DisposeCoreAsync();
        }

        return new ValueTask(_disposing);
    }

    private async Task DisposeCoreAsync()
    {
        // A graceful end: what was written is encrypted and sent, then close_notify, then the inner close.
        await _toSend.Writer.CompleteAsync().ConfigureAwait(false);
        await _sending.ConfigureAwait(false);
        await _received.Reader.CompleteAsync().ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        await _tls.DisposeAsync().ConfigureAwait(false);
        await _receiving.ConfigureAwait(false);
    }

    private async Task ReceiveLoopAsync()
    {
        PipeWriter received = _received.Writer;
        Exception? failure = null;
        try
        {
            while (true)
            {
                // Waits for a record without holding a buffer: an idle connection rents none.
                await _tls.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
                int read = await _tls.ReadAsync(received.GetMemory(RecordSize)).ConfigureAwait(false);
                if (read == 0)
                {
                    break; // close_notify, or the inner connection's end
                }

                received.Advance(read);
                FlushResult flushed = await received.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted)
                {
                    break; // the protocol stopped reading
                }
            }
        }
        catch (Exception e)
        {
            // Whatever ended the input is the protocol's to see, as a failed read.
            failure = e;
            Volatile.Write(ref _receiveFailure, e);
        }
        finally
        {
            await received.CompleteAsync(failure).ConfigureAwait(false);
        }
    }

    private async Task SendLoopAsync()
    {
        PipeReader toSend = _toSend.Reader;
        Exception? failure = null;
        try
        {
            while (true)
            {
                ReadResult result = await toSend.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break; // aborted
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await WriteRecordsAsync(buffer).ConfigureAwait(false);
                }

                toSend.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    await _tls.ShutdownAsync().ConfigureAwait(false); // close_notify: the TLS end of sending
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            failure = new ConnectionResetException("The TLS connection was lost while sending.", e);
        }
        finally
        {
            await toSend.CompleteAsync(failure).ConfigureAwait(false);
            await _inner.Output.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Writes <paramref name="buffer"/> as few records as possible: small segments are gathered into one.</summary>
    private async ValueTask WriteRecordsAsync(ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            await _tls.WriteAsync(buffer.First).ConfigureAwait(false);
            return;
        }

        byte[] record = ArrayPool<byte>.Shared.Rent(RecordSize);
        try
        {
            while (!buffer.IsEmpty)
            {
                int length = (int)Math.Min(buffer.Length, RecordSize);
                buffer.Slice(0, length).CopyTo(record);
                await _tls.WriteAsync(record.AsMemory(0, length)).ConfigureAwait(false);
                buffer = buffer.Slice(length);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(record);
        }
    }
}
