using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PeerEngine.Diagnostics;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Transport.SharedMemory.Internal;

/// <summary>
/// A shared-memory connection as two pipes, driven by three loops: <see cref="ReceiveLoopAsync"/>
/// moves the inbound ring into the input pipe, <see cref="SendLoopAsync"/> moves the output pipe into
/// the outbound ring, and the <see cref="Doorbell"/> reads wake-ups and the peer's end off the Unix
/// socket the connection was set up on.
/// </summary>
internal sealed partial class RingConnection : TransportConnection
{
    private readonly SharedMapping _mapping;
    private readonly Doorbell _doorbell;
    private readonly RingConsumer _inbound;
    private readonly RingProducer _outbound;
    private readonly Pipe _received;
    private readonly Pipe _toSend;
    private readonly long _spinTicks;
    private readonly ILogger _logger;
    private Task _receiving = Task.CompletedTask;
    private Task _sending = Task.CompletedTask;
    private Task _listening = Task.CompletedTask;
    private int _aborted;

    /// <summary>A connection over <paramref name="mapping"/>; the dialler writes ring 0, the listener ring 1.</summary>
    public RingConnection(Socket socket, SharedMapping mapping, bool dialler, SocketPipeOptions pipes, TimeSpan spin)
    {
        _mapping = mapping;
        _doorbell = new Doorbell(socket);
        _inbound = new RingConsumer(mapping.Ring(dialler ? 1 : 0));
        _outbound = new RingProducer(mapping.Ring(dialler ? 0 : 1));
        _received = new Pipe(pipes.Receive);
        _toSend = new Pipe(pipes.Send);
        _spinTicks = (long)(spin.TotalSeconds * Stopwatch.Frequency);
        _logger = pipes.Settings.Logger;
        LocalEndPoint = socket.LocalEndPoint;
        // The dialler's end of a Unix socket has no name: the accepting side names the ring by its setup socket.
        RemoteEndPoint = socket.RemoteEndPoint is UnixDomainSocketEndPoint { } remote && remote.ToString().Length > 0 ? remote : socket.LocalEndPoint;
    }

    public override PipeReader Input => _received.Reader;

    public override PipeWriter Output => _toSend.Writer;

    public override EndPoint? RemoteEndPoint { get; }

    public override EndPoint? LocalEndPoint { get; }

    /// <summary>Each ring's capacity: the connection's shared memory is twice this and a page.</summary>
    public int RingCapacity => _mapping.Capacity;

    private bool IsAborted => Volatile.Read(ref _aborted) != 0;

    public void Start()
    {
        // Like the socket transport: no execution context of whoever opened the connection.
        using (ExecutionContext.SuppressFlow())
        {
            _listening = _doorbell.ListenAsync();
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

        // Closing the socket is the peer's end of stream; it also ends the bell loop, which wakes both
        // ring loops, and cancelling the output read ends a send loop that waits for the protocol.
        _doorbell.Dispose();
        _toSend.Reader.CancelPendingRead();
    }

    public override async ValueTask DisposeAsync()
    {
        // A graceful end: whatever was written goes into the ring and the ring is closed behind it.
        await _toSend.Writer.CompleteAsync().ConfigureAwait(false);
        await _sending.ConfigureAwait(false);
        Abort();
        await _receiving.ConfigureAwait(false);
        await _listening.ConfigureAwait(false);
        _mapping.Dispose();
    }

    /// <summary>
    /// Spins until <paramref name="ready"/> holds or the spin budget is spent: a peer that answers
    /// within the budget costs no syscall and no thread wake-up on either side.
    /// </summary>
    private bool SpinUntil(Func<RingConnection, bool> ready)
    {
        if (_spinTicks <= 0)
        {
            return ready(this);
        }

        long deadline = Stopwatch.GetTimestamp() + _spinTicks;
        SpinWait spinner = default;
        do
        {
            if (ready(this))
            {
                return true;
            }

            // Yields now and then rather than only pausing: on a busy core the thread that would
            // fill the ring (this process's send loop, a handler) must get to run.
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        while (Stopwatch.GetTimestamp() < deadline && !IsAborted);
        return ready(this);
    }

    private ConnectionResetException Corrupt(string field)
    {
        PeerEngineLog.SharedMemoryRingCorrupt(_logger, RemoteEndPoint, field);
        return new ConnectionResetException($"The connection was closed: the peer wrote an impossible {field} into the shared-memory ring.");
    }

    private ConnectionResetException Lost() => IsAborted
        ? new ConnectionResetException("The connection was aborted.")
        : _doorbell.PeerMisbehaved
            ? new ConnectionResetException("The connection was closed: the peer sent a byte that is no wake-up on the shared-memory socket.")
            : new ConnectionResetException("The connection was lost: the peer's process closed its end without closing the ring (it exited or was killed).");
}
