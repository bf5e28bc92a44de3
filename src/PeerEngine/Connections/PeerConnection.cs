using System.Net;
using Microsoft.Extensions.Logging;
using PeerEngine.Buffers;
using PeerEngine.Connections.Internal;
using PeerEngine.Diagnostics;
using PeerEngine.Framing;
using PeerEngine.Transport;

namespace PeerEngine.Connections;

/// <summary>
/// One conversation with a peer over one transport connection, in either role: many concurrent
/// requests each way, one-way messages, keep-alives, and a graceful or abrupt end.
/// </summary>
/// <remarks>
/// Made of parts, each owning its state: <see cref="FrameReceiver"/> (the receive loop),
/// <see cref="FrameSender"/> (the output), <see cref="InboundDispatcher"/> (the peer's requests and
/// messages to the handlers), <see cref="OutboundRequests"/> (ours to the peer, and their answers),
/// <see cref="ConnectionShutdown"/> (how it ends), <see cref="ConnectionTimers"/> (its deadlines).
/// The connection holds them, and does what takes several: the handshake, the steps of a graceful
/// or abrupt end, and acting on the heartbeat's findings.
/// </remarks>
internal sealed class PeerConnection : IAsyncDisposable, IConnectionCounters
{
    private static long s_lastConnectionId;

    private readonly TransportConnection _transport;
    private readonly ConnectionSettings _settings;
    private readonly ConnectionShutdown _shutdown = new();
    private readonly ConnectionTimers _timers;
    private readonly ProtocolNegotiation _negotiation;
    private readonly FrameSender _sender;
    private readonly InboundDispatcher _inbound;
    private readonly OutboundRequests _outbound;
    private readonly FrameReceiver _receiver;
    private readonly long _number;
    private string? _name;
    private LazyCompletion _handshaken;
    private Task _receiving = Task.CompletedTask;

    public PeerConnection(TransportConnection transport, ConnectionRole role, ConnectionSettings settings)
    {
        _transport = transport;
        Role = role;
        _settings = settings;
        _timers = new ConnectionTimers(settings.Time, settings.Options);
        _negotiation = new ProtocolNegotiation(settings);
        _sender = new FrameSender(transport.Output, _shutdown);
        _inbound = new InboundDispatcher(this, settings, _sender, _shutdown.Lifetime);
        _outbound = new OutboundRequests(this, settings, _sender, _shutdown);
        _receiver = new FrameReceiver(this, transport.Input, settings, _timers, _inbound, _outbound, _sender, _shutdown);
        _number = Interlocked.Increment(ref s_lastConnectionId);
    }

    /// <summary>Whether this side opened the connection or accepted it.</summary>
    public ConnectionRole Role { get; }

    /// <summary>This node's id, sent in its HELLO.</summary>
    public string LocalNodeId => _settings.LocalNodeId;

    /// <summary>The peer's node id, known once the handshake is complete (empty before).</summary>
    public string RemoteNodeId { get; private set; } = string.Empty;

    /// <summary>The peer's address.</summary>
    public EndPoint? RemoteEndPoint => _transport.RemoteEndPoint;

    /// <summary>A short name for logs: a process-unique number and the peer's address, made when first logged (most never are).</summary>
    public string Name => _name ??= $"#{_number} {_transport.RemoteEndPoint}";

    /// <summary>Completes when the peer's HELLO has arrived; faults if the connection ends first.</summary>
    public Task Handshaken => _handshaken.Task;

    /// <summary>Completes when the connection has ended and released its resources.</summary>
    public Task Completion => _shutdown.Completion;

    /// <summary>Why the connection ended; <see cref="ShutdownReason.None"/> while it is open.</summary>
    public ShutdownReason ShutdownReason => _shutdown.Reason;

    /// <summary>Outgoing requests awaiting their answer (the pool's load measure).</summary>
    public int OutgoingRequests => _outbound.Count;

    /// <summary>The id of the latest outgoing request (it changes with every request).</summary>
    public uint LastRequestId => _outbound.LastIssuedId;

    /// <summary>Requests and messages from the peer being handled now.</summary>
    public int IncomingInFlight => _inbound.InFlight;

    /// <summary>Whether new requests may be sent: handshake done, no GOODBYE either way, the peer still sending, not ended.</summary>
    public bool IsUsable => _handshaken.IsCompletedSuccessfully && !_shutdown.IsClosing;

    /// <inheritdoc cref="FrameReceiver.FramesReceived"/>
    public long FramesReceived => _receiver.FramesReceived;

    /// <inheritdoc cref="FrameReceiver.BytesReceived"/>
    public long BytesReceived => _receiver.BytesReceived;

    /// <inheritdoc cref="FrameSender.FramesSent"/>
    public long FramesSent => _sender.FramesSent;

    /// <inheritdoc cref="FrameSender.BytesSent"/>
    public long BytesSent => _sender.BytesSent;

    /// <summary>The protocol version offered, then followed, and the largest payload the peer accepts.</summary>
    internal ProtocolNegotiation Negotiation => _negotiation;

    /// <summary>Whether this connection made a table of its own for pings (it does on its first ping only).</summary>
    internal bool HasPingTable => _outbound.HasPingTable;

    /// <summary>Requests that timed out since the peer last answered anything.</summary>
    internal int ConsecutiveTimeouts => _outbound.ConsecutiveTimeouts;

    internal ILogger Logger => _settings.Logger;

    /// <summary>The connection's <see cref="Name"/>, which log messages format when they are written.</summary>
    public override string ToString() => Name;

    /// <summary>Starts the receive loop and the timers; a connecting side sends its HELLO at once.</summary>
    public void Start()
    {
        _timers.Start();
        if (Role == ConnectionRole.Connecting)
        {
            _sender.WriteControl(_negotiation.Hello(_negotiation.Offered));
        }

        _settings.Heartbeat.Register(this);
        _settings.Metrics.ConnectionOpened(this);

        // The loops must not carry the starter's execution context (a request's span, its
        // AsyncLocals) for the connection's life, nor hand it to the handlers they run.
        using (ExecutionContext.SuppressFlow())
        {
            _receiving = _receiver.RunAsync();
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

    /// <inheritdoc cref="OutboundRequests.RequestAsync"/>
    public ValueTask<PooledPayload> RequestAsync(ReadOnlyMemory<byte> payload, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        _outbound.RequestAsync(payload, timeout, cancellationToken);

    /// <inheritdoc cref="OutboundRequests.SendMessageAsync"/>
    public ValueTask SendMessageAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        _outbound.SendMessageAsync(payload, cancellationToken);

    /// <inheritdoc cref="OutboundRequests.PingAsync"/>
    public ValueTask<TimeSpan> PingAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) => _outbound.PingAsync(timeout, cancellationToken);

    /// <summary>Runs <paramref name="callback"/> once the connection has closed (at once if it has): how a listener or a pool forgets it.</summary>
    internal void WhenClosed(Action<PeerConnection> callback) => _shutdown.WhenClosed(callback, this);

    /// <inheritdoc cref="OutboundRequests.WhenUnresponsive"/>
    internal void WhenUnresponsive(int afterTimeouts, Action<PeerConnection> callback) => _outbound.WhenUnresponsive(afterTimeouts, callback);

    /// <summary>Fails the requests waiting for an answer, without closing: the peer has been found unresponsive.</summary>
    internal void FailWaitingRequests(PeerException error) => _outbound.FailWaiting(error);

    /// <summary>
    /// Closes gracefully (rule 11): sends GOODBYE, starts no new work, lets the requests in flight
    /// both ways finish, and closes once both sides have said goodbye and nothing is in flight.
    /// Past <paramref name="drainTimeout"/> (default <see cref="PeerConnectionOptions.DrainTimeout"/>)
    /// the connection is cut.
    /// </summary>
    public async Task CloseAsync(TimeSpan? drainTimeout = null)
    {
        SendGoodbye();
        CheckDrained();
        try
        {
            await Completion.WaitAsync(drainTimeout ?? _settings.Options.DrainTimeout, _settings.Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abort(ShutdownReason.DrainTimeout);
            await Completion.ConfigureAwait(false);
        }
    }

    /// <summary>Ends the connection at once: everything in flight fails with <see cref="ConnectionLostException"/>.</summary>
    public void Abort(ShutdownReason reason = ShutdownReason.LocalAbort, Exception? cause = null)
    {
        if (TryEnd(reason, cause))
        {
            _transport.Abort();
        }
    }

    /// <summary>Aborts, then waits for the connection to release its resources.</summary>
    public async ValueTask DisposeAsync()
    {
        Abort();
        await Completion.ConfigureAwait(false);
    }

    /// <summary>The peer's valid HELLO: the handshake is done (an accepting side answers with its own, of the same version).</summary>
    internal void OnHello(string remoteNodeId, ushort version, int peerMaxPayloadLength)
    {
        RemoteNodeId = remoteNodeId;
        _negotiation.Settle(version, peerMaxPayloadLength);
        if (Role == ConnectionRole.Accepting)
        {
            _sender.WriteControl(_negotiation.Hello(version));
        }

        PeerEngineLog.Handshaken(_settings.Logger, this, remoteNodeId);
        PeerEngineLog.Negotiated(_settings.Logger, this, version, _negotiation.MaxSendPayloadLength);
        _settings.Metrics.OpenedConnections.Add(1);
        _handshaken.TrySetResult();
    }

    internal void OnGoodbye()
    {
        _shutdown.OnGoodbyeReceived();
        CheckDrained();
    }

    /// <summary>Ends the conversation with <paramref name="reason"/> unless it has ended: whether this call ended it.</summary>
    internal bool TryEnd(ShutdownReason reason, Exception? cause = null)
    {
        if (!_shutdown.TrySet(reason))
        {
            return false;
        }

        EndConversation(reason, cause);
        return true;
    }

    /// <summary>
    /// A broken rule (rule 5): send the connection ERROR, send nothing after it, shut the sending
    /// side down, and read out what still arrives for a moment before closing.
    /// </summary>
    internal void Violate(ProtocolError error, ShutdownReason reason)
    {
        if (!_shutdown.TrySet(reason))
        {
            return;
        }

        PeerEngineLog.ProtocolViolation(_settings.Logger, this, error);
        _settings.Metrics.Error(error.Code, sent: true);
        EndConversation(reason);
        _sender.WriteConnectionError(error);

        // When the timers found the fault, the receive loop may be waiting for bytes that never come.
        _receiver.Discard();
    }

    /// <summary>
    /// The peer finished sending (FIN). It can no longer answer our requests, so they fail now; its own
    /// requests in flight are still owed their answers (rule 6), which <see cref="FinishAsync"/> waits for.
    /// </summary>
    internal void OnPeerFinishedSending()
    {
        _outbound.FailAll(new ConnectionLostException(_shutdown.OnPeerFinishedSending()));
        CheckDrained();
    }

    /// <summary>
    /// Answers a GOODBYE once the peer's requests are answered; then, once both sides have said goodbye (or the
    /// peer has stopped sending) and nothing is in flight either way, ends sending; the peer does the same.
    /// </summary>
    internal void CheckDrained()
    {
        if (_shutdown.OwesGoodbye && IncomingInFlight == 0)
        {
            // Rule 11 allows our GOODBYE before or after the answers the peer is owed; after them
            // reads better on the wire: every answer, then the GOODBYE, then the close.
            SendGoodbye();
        }

        if (!_shutdown.ConversationOver || _outbound.Count > 0 || IncomingInFlight > 0)
        {
            return;
        }

        if (_shutdown.TryMarkDrained(_settings.Time.GetTimestamp()))
        {
            _sender.Complete();
        }
    }

    /// <summary>Ends the connection once the receive loop has: drains, closes the transport, then completes.</summary>
    internal async Task FinishAsync(Exception? failure)
    {
        if (failure is not null)
        {
            Abort(ShutdownReason.ConnectionReset, failure);
        }
        else if (_shutdown.TrySet(_shutdown.EndReason()))
        {
            // The loop ended on the peer's FIN: answer what the peer is still owed before closing.
            try
            {
                await _inbound.WhenIdle().WaitAsync(_settings.Options.DrainTimeout, _settings.Time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Handlers that outlive the drain timeout are cancelled below; their answers are dropped.
            }

            EndConversation(ShutdownReason);
        }

        _sender.Complete();
        try
        {
            await _transport.DisposeAsync().AsTask().WaitAsync(_settings.Options.CloseLinger, _settings.Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The peer does not take what is left to send: cut it.
            _transport.Abort();
            await _transport.DisposeAsync().ConfigureAwait(false);
        }

        _settings.Heartbeat.Unregister(this);
        _settings.Metrics.ConnectionClosed(this, ShutdownReason);
        PeerEngineLog.Closed(_settings.Logger, this, ShutdownReasons.Describe(ShutdownReason));
        if (!_handshaken.IsCompleted)
        {
            _handshaken.TrySetException(new ConnectionLostException(ShutdownReason));
        }

        _shutdown.Complete(this);
    }

    /// <summary>
    /// Called by the shared <see cref="ConnectionHeartbeat"/> (one sweep for all connections instead of
    /// timers per connection keeps 10,000 idle ones cheap): acts on the deadlines that have passed.
    /// </summary>
    internal void OnHeartbeat(long now)
    {
        if (ShutdownReason != ShutdownReason.None)
        {
            return;
        }

        if (!_handshaken.IsCompleted)
        {
            if (_timers.HandshakeOverdue(now))
            {
                Violate(ConnectionTimers.HandshakeTimedOut, ShutdownReason.HandshakeTimeout);
            }

            return;
        }

        // Drained and done sending: a peer that does not close its side within the linger is closed from here.
        if (_shutdown.TryStopReadingAfter(_settings.Options.CloseLinger, now, _settings.Time))
        {
            _receiver.CancelPendingRead();
        }

        if (_timers.ReceivingTooSlowly(now))
        {
            Violate(ConnectionTimers.TooSlow, ShutdownReason.MinimumDataRate);
        }

        switch (_timers.CheckKeepAlive(now))
        {
            case ConnectionTimers.KeepAlive.Expired:
                // Rule 10: closed without a further frame.
                Abort(ShutdownReason.KeepAliveTimeout);
                break;
            case ConnectionTimers.KeepAlive.Ping:
                _sender.WriteKeepAlivePing();
                break;
        }
    }

    /// <summary>Stops the handlers and fails every outgoing request and ping with the reason.</summary>
    private void EndConversation(ShutdownReason reason, Exception? cause = null)
    {
        _shutdown.CancelLifetime();
        _outbound.FailAll(new ConnectionLostException(reason, cause));
    }

    private void SendGoodbye()
    {
        if (_shutdown.TryBeginGoodbye())
        {
            _sender.WriteGoodbye();
        }
    }
}
