using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace PeerEngine.Transport.Sockets;

/// <summary>
/// A connected socket as two pipes, driven by two loops: <see cref="ReceiveLoopAsync"/> fills the
/// input pipe and <see cref="SendLoopAsync"/> drains the output pipe. Each loop's end completes its
/// pipe, so the protocol layer sees a FIN, a reset or an abort as the end of its pipe.
/// </summary>
internal sealed partial class SocketConnection : TransportConnection
{
    private readonly Socket _socket;
    private readonly Pipe _received;
    private readonly Pipe _toSend;
    private readonly bool _waitForData;
    private Task _receiving = Task.CompletedTask;
    private Task _sending = Task.CompletedTask;
    private int _aborted;

    public SocketConnection(Socket socket, SocketTransportOptions options)
    {
        _socket = socket;
        _waitForData = options.WaitForDataBeforeAllocatingBuffer;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;

        // The protocol loop never blocks (handlers run elsewhere), so it may run inline on the receive
        // completion; the send loop runs on the thread pool so that a writer's flush does not make the
        // send syscall itself while other writers queue behind it: that gap is where batching happens.
        _received = new Pipe(new PipeOptions(
            readerScheduler: options.InlineReceiveContinuations ? PipeScheduler.Inline : PipeScheduler.ThreadPool,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: options.MaxReceiveBufferSize,
            resumeWriterThreshold: options.MaxReceiveBufferSize / 2,
            useSynchronizationContext: false));
        _toSend = new Pipe(new PipeOptions(
            readerScheduler: PipeScheduler.ThreadPool,
            writerScheduler: PipeScheduler.ThreadPool,
            pauseWriterThreshold: options.MaxSendBufferSize,
            resumeWriterThreshold: options.MaxSendBufferSize / 2,
            useSynchronizationContext: false));
    }

    public override PipeReader Input => _received.Reader;

    public override PipeWriter Output => _toSend.Writer;

    public override EndPoint? RemoteEndPoint { get; }

    public override EndPoint? LocalEndPoint { get; }

    public void Start()
    {
        _receiving = ReceiveLoopAsync();
        _sending = SendLoopAsync();
    }

    public override void Abort()
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        // Disposing the socket fails its pending receive and send, which ends both loops.
        _socket.Dispose();
        _toSend.Reader.CancelPendingRead();
    }

    public override async ValueTask DisposeAsync()
    {
        // A graceful end: whatever was written is sent, then the sending side is shut down.
        await _toSend.Writer.CompleteAsync().ConfigureAwait(false);
        await _sending.ConfigureAwait(false);
        Abort();
        await _receiving.ConfigureAwait(false);
        _sender?.Dispose();
    }

    private bool IsAborted => Volatile.Read(ref _aborted) != 0;

    private static ConnectionResetException Lost(Exception cause) => cause switch
    {
        SocketException socket => new ConnectionResetException($"The connection was lost: {socket.SocketErrorCode}.", socket),
        _ => new ConnectionResetException("The connection was aborted.", cause),
    };
}
