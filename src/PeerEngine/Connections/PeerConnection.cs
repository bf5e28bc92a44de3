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
internal sealed partial class PeerConnection : IAsyncDisposable, IPendingRequestObserver, IConnectionCounters
{
    private static long s_lastConnectionId;

    private readonly TransportConnection _transport;
    private readonly ConnectionSettings _settings;
    private readonly FrameReader _reader;
    private readonly PendingRequestTable _requests;
    private readonly long _number;
    private PendingRequestTable? _pings;
    private string? _name;
    private readonly CancellationTokenSource _lifetime = new();
    private LazyCompletion _handshaken;
    private LazyCompletion _completed;
    private Task _receiving = Task.CompletedTask;

    public PeerConnection(TransportConnection transport, ConnectionRole role, ConnectionSettings settings)
    {
        _transport = transport;
        Role = role;
        LocalNodeId = settings.LocalNodeId;
        _settings = settings;
        _reader = new FrameReader(settings.Options.MaxPayloadLength);
        _requests = new PendingRequestTable(this);
        _number = Interlocked.Increment(ref s_lastConnectionId);
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
    /// <remarks>Made when first logged: most connections are never named, and 10,000 idle ones need not carry it.</remarks>
    public string Name => _name ??= $"#{_number} {_transport.RemoteEndPoint}";

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
    public int IncomingInFlight => Volatile.Read(ref _inboundInFlight);

    /// <summary>Whether new requests may be sent: handshake done and not <see cref="IsClosing"/>.</summary>
    public bool IsUsable => _handshaken.IsCompletedSuccessfully && !IsClosing;

    /// <summary>A GOODBYE either way, the peer done sending, or the connection ended: no new work starts.</summary>
    private bool IsClosing => GoodbyeSent || _goodbyeReceived || _peerFinishedSending || ShutdownReason != ShutdownReason.None;

    internal RequestHandler? RequestHandler => _settings.Handlers.OnRequest;

    internal MessageHandler? MessageHandler => _settings.Handlers.OnMessage;

    internal CancellationToken Lifetime => _lifetime.Token;

    internal ILogger Logger => _settings.Logger;

    internal PeerEngineMetrics Metrics => _settings.Metrics;

    internal int MaxPayloadLength => _settings.Options.MaxPayloadLength;

    /// <summary>The connection's <see cref="Name"/>, which log messages format when they are written.</summary>
    public override string ToString() => Name;

    /// <summary>Starts the receive loop and the timers; a connecting side sends its HELLO at once.</summary>
    public void Start()
    {
        long now = _settings.Time.GetTimestamp();
        _startedAt = now;
        _lastReceived = now;
        _lastPingSent = now;
        if (Role == ConnectionRole.Connecting)
        {
            WriteControl(new HelloFrame(LocalNodeId));
        }

        _settings.Heartbeat.Register(this);
        _settings.Metrics.ConnectionOpened(this);

        // The loops must not carry the starter's execution context (a request's span, its
        // AsyncLocals) for the connection's life, nor hand it to the handlers they run.
        using (ExecutionContext.SuppressFlow())
        {
            _receiving = ReceiveLoopAsync();
        }
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
