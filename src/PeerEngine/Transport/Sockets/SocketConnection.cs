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

    public SocketConnection(Socket socket, SocketPipeOptions options)
    {
        _socket = socket;
        _waitForData = options.Settings.WaitForDataBeforeAllocatingBuffer;

        // Synchronous receives return at once with WouldBlock when nothing has arrived (the receive
        // loop's probe); asynchronous operations are unaffected.
        socket.Blocking = !_waitForData;
        LocalEndPoint = socket.LocalEndPoint;
        RemoteEndPoint = socket.RemoteEndPoint;
        _received = new Pipe(options.Receive);
        _toSend = new Pipe(options.Send);
    }

    public override PipeReader Input => _received.Reader;

    public override PipeWriter Output => _toSend.Writer;

    public override EndPoint? RemoteEndPoint { get; }

    public override EndPoint? LocalEndPoint { get; }

    public void Start()
    {
        // Like the protocol's loop: no execution context of whoever opened the connection.
        using (ExecutionContext.SuppressFlow())
        {
            _receiving = ReceiveLoopAsync();
            _sending = SendLoopAsync();
        }
    }

    /// <summary>Ends the connection at once with a reset.</summary>
    public override void Abort() => Close(reset: true);

    public override async ValueTask DisposeAsync()
    {
        // A graceful end: whatever was written is sent, then the sending side is shut down, and the
        // socket closes without a reset, which would make the peer drop what it has not read yet.
        await _toSend.Writer.CompleteAsync().ConfigureAwait(false);
        await _sending.ConfigureAwait(false);
        Close(reset: false);
        await _receiving.ConfigureAwait(false);
    }

    private bool IsAborted => Volatile.Read(ref _aborted) != 0;

    private void Close(bool reset)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0)
        {
            return;
        }

        if (reset)
        {
            // Whatever the loops are doing: the runtime closes abortively only when the close cancels
            // a pending operation, so a loop caught between two receives (handlers run in the
            // receive loop) would send a FIN, and the peer would take the abort for a graceful close.
            try
            {
                _socket.LingerState = new LingerOption(enable: true, seconds: 0);
            }
            catch (SocketException)
            {
                // Already reset by the peer: it has seen the end.
            }
        }

        // Disposing the socket fails its pending receive and send, which ends both loops.
        _socket.Dispose();
        _toSend.Reader.CancelPendingRead();
    }

    private static ConnectionResetException Lost(Exception cause) => cause switch
    {
        SocketException socket => new ConnectionResetException($"The connection was lost: {socket.SocketErrorCode}.", socket),
        _ => new ConnectionResetException("The connection was aborted.", cause),
    };
}
