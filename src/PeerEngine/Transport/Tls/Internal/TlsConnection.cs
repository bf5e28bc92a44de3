using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;

namespace PeerEngine.Transport.Tls.Internal;

/// <summary>
/// The protocol's view of a connection inside TLS. <see cref="Input"/> reads decrypted bytes straight
/// from the <see cref="SslStream"/>, with a zero-byte read first so that an idle connection holds no
/// buffer; <see cref="Output"/> is a pipe that one send loop drains into TLS records, so writers never
/// wait on encryption and small frames written together leave as one record.
/// </summary>
internal sealed class TlsConnection : TransportConnection, IPeerIdentity
{
    // A TLS record carries at most 16 KiB of plaintext: frames are gathered up to that before encrypting.
    private const int RecordSize = 16 * 1024;

    private readonly TransportConnection _inner;
    private readonly SslStream _tls;
    private readonly FailureRecordingReader _input;
    private readonly Pipe _toSend;
    private string[] _peerIds = [];
    private Task _sending = Task.CompletedTask;
    private Task? _disposing;
    private int _aborted;

    public TlsConnection(TransportConnection inner, SslStream tls, long maxSendBufferSize)
    {
        _inner = inner;
        _tls = tls;
        _input = new FailureRecordingReader(PipeReader.Create(
            tls, new StreamPipeReaderOptions(bufferSize: RecordSize, minimumReadSize: 2048, leaveOpen: true, useZeroByteReads: true)));
        _toSend = new Pipe(new PipeOptions(
            pauseWriterThreshold: maxSendBufferSize,
            resumeWriterThreshold: maxSendBufferSize / 2,
            readerScheduler: PipeScheduler.ThreadPool,
            writerScheduler: PipeScheduler.Inline,
            useSynchronizationContext: false));
    }

    public override PipeReader Input => _input;

    public override PipeWriter Output => _toSend.Writer;

    public override EndPoint? RemoteEndPoint => _inner.RemoteEndPoint;

    public override EndPoint? LocalEndPoint => _inner.LocalEndPoint;

    /// <summary>The ids the peer's certificate names.</summary>
    public string[] PeerIds => _peerIds;

    public string NamedIds => CertificateIdentity.Describe(_peerIds);

    public bool Names(string nodeId) => CertificateIdentity.Names(_peerIds, nodeId);

    public string? ExplainRefusal() =>
        _input.Failure is { } failure && TlsFailures.IsTls(failure) ? TlsFailures.Explain(failure) : null;

    /// <summary>Starts sending, once the handshake authenticated the peer as <paramref name="peerIds"/>.</summary>
    public void Start(string[] peerIds)
    {
        _peerIds = peerIds;
        using (ExecutionContext.SuppressFlow())
        {
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
        await _input.CompleteAsync().ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        await _tls.DisposeAsync().ConfigureAwait(false);
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

    /// <summary>
    /// The decrypted input, keeping the exception that ended it: in TLS 1.3 a server refuses a client's
    /// certificate after the client's handshake completed, so the refusal (an alert) surfaces here, and
    /// the connector tells the caller what it was.
    /// </summary>
    private sealed class FailureRecordingReader(PipeReader inner) : PipeReader
    {
        public Exception? Failure { get; private set; }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            ValueTask<ReadResult> read = inner.ReadAsync(cancellationToken);
            return read.IsCompletedSuccessfully ? read : AwaitAsync(read);
        }

        public override bool TryRead(out ReadResult result) => inner.TryRead(out result);

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        private async ValueTask<ReadResult> AwaitAsync(ValueTask<ReadResult> read)
        {
            try
            {
                return await read.ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Failure ??= e;
                throw;
            }
        }
    }
}
