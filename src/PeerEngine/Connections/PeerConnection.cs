using System.Net;
using Microsoft.Extensions.Logging;
using PeerEngine.Connections.Internal;
using PeerEngine.Correlation;
using PeerEngine.Diagnostics;
using PeerEngine.Framing;
using PeerEngine.Transport;

namespace PeerEngine.Connections;

/// <summary>
/// One conversation with a peer over one transport connection, in either role: many concurrent
/// requests each way, one-way messages, keep-alives, and a graceful or abrupt end. Partials by
/// concern: <c>.Receive</c> (the receive loop and frame dispatch), <c>.Send</c> (the write path and the
/// public operations), <c>.Lifetime</c> (handshake, drain, shutdown), <c>.Timers</c> (the timeouts).
/// </summary>
internal sealed partial class PeerConnection : IAsyncDisposable
{
    private static long s_lastConnectionId;

    private readonly TransportConnection _transport;
    private readonly PeerConnectionOptions _options;
    private readonly ConnectionHandlers _handlers;
    private readonly ConnectionHeartbeat _heartbeat;
    private readonly ILogger _logger;
    private readonly PeerEngineMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly FrameReader _reader;
    private readonly PendingRequestTable _requests;
    private readonly PendingRequestTable _pings;
    private readonly SemaphoreSlim _inboundSlots;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TaskCompletionSource _handshaken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _receiving = Task.CompletedTask;

    public PeerConnection(TransportConnection transport, ConnectionRole role, ConnectionSettings settings)
    {
        _transport = transport;
        Role = role;
        LocalNodeId = settings.LocalNodeId;
        PeerConnectionOptions options = settings.Options;
        _options = options;
        _handlers = settings.Handlers;
        _heartbeat = settings.Heartbeat;
        _logger = settings.Logger;
        _time = settings.Time;
        _metrics = settings.Metrics;
        _reader = new FrameReader(options.MaxPayloadLength);
        _requests = new PendingRequestTable(OnOutgoingRemoved);
        _pings = new PendingRequestTable();
        _inboundSlots = new SemaphoreSlim(options.MaxRequestsInFlight, options.MaxRequestsInFlight);
        Name = $"#{Interlocked.Increment(ref s_lastConnectionId)} {transport.RemoteEndPoint}";
    }

    /// <summary>Whether this side opened the connection or accepted it.</summary>
    public ConnectionRole Role { get; }

    /// <summary>This node's id, sent in its HELLO.</summary>
    public string LocalNodeId { get; }

    /// <summary>The peer's node id, known once the handshake is complete (empty before).</summary>
    public string RemoteNodeId { get; private set; } = string.Empty;

    /// <summary>The peer's address.</summary>
    public EndPoint? RemoteEndPoint => _transport.RemoteEndPoint;

    /// <summary>A short name for logs: a process-unique number and the peer's address.</summary>
    public string Name { get; }

    /// <summary>Completes when the peer's HELLO has arrived; faults if the connection ends first.</summary>
    public Task Handshaken => _handshaken.Task;

    /// <summary>Completes when the connection has ended and released its resources.</summary>
    public Task Completion => _completed.Task;

    /// <summary>Why the connection ended; <see cref="ShutdownReason.None"/> while it is open.</summary>
    public ShutdownReason ShutdownReason => (ShutdownReason)Volatile.Read(ref _shutdownReason);

    /// <summary>Outgoing requests awaiting their answer (the pool's load measure).</summary>
    public int OutgoingRequests => _requests.Count;

    /// <summary>The id of the latest outgoing request (it changes with every request).</summary>
    public uint LastRequestId => _requests.LastIssuedId;

    /// <summary>Requests and messages from the peer being handled now.</summary>
    public int IncomingInFlight => _options.MaxRequestsInFlight - _inboundSlots.CurrentCount;

    /// <summary>Whether new requests may be sent: handshake done, no GOODBYE either way, not ended.</summary>
    public bool IsUsable => _handshaken.Task.IsCompletedSuccessfully && !GoodbyeSent && !_goodbyeReceived && ShutdownReason == ShutdownReason.None;

    internal RequestHandler? RequestHandler => _handlers.OnRequest;

    internal MessageHandler? MessageHandler => _handlers.OnMessage;

    internal CancellationToken Lifetime => _lifetime.Token;

    internal ILogger Logger => _logger;

    internal PeerEngineMetrics Metrics => _metrics;

    internal int MaxPayloadLength => _options.MaxPayloadLength;

    /// <summary>Starts the receive loop and the timers; a connecting side sends its HELLO at once.</summary>
    public void Start()
    {
        long now = _time.GetTimestamp();
        _startedAt = now;
        _lastReceived = now;
        _lastPingSent = now;
        if (Role == ConnectionRole.Connecting)
        {
            WriteControl(new HelloFrame(LocalNodeId));
        }

        _heartbeat.Register(this);
        _metrics.ConnectionOpened(this);
        _receiving = ReceiveLoopAsync();
    }

    /// <summary>Waits for the handshake, bounded by the handshake timeout and <paramref name="cancellationToken"/>.</summary>
    /// <exception cref="ConnectionLostException">The connection ended before the handshake completed.</exception>
    public async Task WaitForHandshakeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _handshaken.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Abort(ShutdownReason.LocalAbort);
            throw;
        }
    }
}
