using PeerEngine.Correlation;
using PeerEngine.Diagnostics;
using PeerEngine.Framing;

namespace PeerEngine.Connections;

internal sealed partial class PeerConnection
{
    private int _shutdownReason;
    private int _goodbyeSent;
    private volatile bool _goodbyeReceived;
    private bool _goodbyeFirstSentHere;
    private volatile bool _peerFinishedSending;
    private int _drained;
    private long _drainedAt;
    private volatile bool _stopReading;
    private TaskCompletionSource? _inboundIdle;
    private Action<PeerConnection>? _whenClosed;

    // Marks _whenClosed once the connection has closed: a callback added later runs at once.
    private static readonly Action<PeerConnection> s_closed = static _ => { };

    /// <summary>
    /// Runs <paramref name="callback"/> once the connection has closed (at once if it has): how a
    /// listener or a pool forgets it. A delegate field rather than a continuation on
    /// <see cref="Completion"/>: that would cost each connection a task, its continuation and a state
    /// tuple for its whole life (about 200 bytes of an idle connection's 3.5 KiB).
    /// </summary>
    internal void WhenClosed(Action<PeerConnection> callback)
    {
        Action<PeerConnection>? current = Volatile.Read(ref _whenClosed);
        while (current != s_closed)
        {
            Action<PeerConnection> combined = current is null ? callback : current + callback;
            Action<PeerConnection>? seen = Interlocked.CompareExchange(ref _whenClosed, combined, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }

        callback(this);
    }

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
        if (TrySetShutdown(reason))
        {
            EndConversation(reason, cause);
            _transport.Abort();
        }
    }

    /// <summary>Aborts, then waits for the connection to release its resources.</summary>
    public async ValueTask DisposeAsync()
    {
        Abort();
        await Completion.ConfigureAwait(false);
    }

    private bool TrySetShutdown(ShutdownReason reason) =>
        Interlocked.CompareExchange(ref _shutdownReason, (int)reason, 0) == 0;

    /// <summary>Stops the handlers and fails every outgoing request and ping with the reason.</summary>
    private void EndConversation(ShutdownReason reason, Exception? cause = null)
    {
        _lifetime.Cancel();
        var lost = new ConnectionLostException(reason, cause);
        _requests.FailAll(lost);
        FailPings(lost);
    }

    /// <summary>
    /// A broken rule (rule 5): send the connection ERROR, send nothing after it, shut the sending
    /// side down, and read out what still arrives for a moment before closing.
    /// </summary>
    private void Violate(ProtocolError error, ShutdownReason reason)
    {
        if (!TrySetShutdown(reason))
        {
            return;
        }

        PeerEngineLog.ProtocolViolation(_settings.Logger, this, error);
        _settings.Metrics.Error(error.Code, sent: true);
        EndConversation(reason);
        WriteControl(new Internal.ErrorFrame(0, error.Code, error.Message));
        CompleteOutput();
        _discarding = true;

        // When the timers found the fault, the receive loop may be waiting for bytes that never come.
        _transport.Input.CancelPendingRead();
    }

    private bool GoodbyeSent => Volatile.Read(ref _goodbyeSent) != 0;

    private void SendGoodbye()
    {
        if (ShutdownReason != ShutdownReason.None || Interlocked.Exchange(ref _goodbyeSent, 1) != 0)
        {
            return; // once (rule 11)
        }

        _goodbyeFirstSentHere = !_goodbyeReceived;
        WriteControl(new Internal.DataFrame(FrameKind.Goodbye, 0, ReadOnlyMemory<byte>.Empty));
    }

    private void OnGoodbye()
    {
        _goodbyeReceived = true;
        CheckDrained();
    }

    void IPendingRequestObserver.OnRemoved() => CheckDrained();

    /// <summary>
    /// Answers a GOODBYE once the peer's requests are answered; then, once both sides have said
    /// goodbye (or the peer has stopped sending) and nothing is in flight either way, ends the sending
    /// side. The peer then does the same and the connection closes.
    /// </summary>
    private void CheckDrained()
    {
        if (_goodbyeReceived && !GoodbyeSent && IncomingInFlight == 0)
        {
            // Rule 11 allows our GOODBYE before or after the answers the peer is owed; after them
            // reads better on the wire: every answer, then the GOODBYE, then the close.
            SendGoodbye();
        }

        bool saidGoodbye = GoodbyeSent && _goodbyeReceived;
        if (!(saidGoodbye || _peerFinishedSending) || _requests.Count > 0 || IncomingInFlight > 0)
        {
            return;
        }

        if (Interlocked.Exchange(ref _drained, 1) == 0)
        {
            Volatile.Write(ref _drainedAt, _settings.Time.GetTimestamp());
            CompleteOutput();
        }
    }

    /// <summary>
    /// The peer finished sending (FIN). It can no longer answer our requests, so they fail now; its own
    /// requests in flight are still owed their answers (rule 6), which <see cref="FinishAsync"/> waits for.
    /// </summary>
    private void OnPeerFinishedSending()
    {
        _peerFinishedSending = true;
        ShutdownReason reason = _goodbyeReceived ? GracefulReason() : ShutdownReason.PeerClosed;
        var lost = new ConnectionLostException(reason);
        _requests.FailAll(lost);
        FailPings(lost);
        CheckDrained();
    }

    private ShutdownReason GracefulReason() => _goodbyeFirstSentHere ? ShutdownReason.LocalClose : ShutdownReason.PeerGoodbye;

    private async Task FinishAsync(Exception? failure)
    {
        if (failure is not null)
        {
            Abort(ShutdownReason.ConnectionReset, failure);
        }
        else if (TrySetShutdown(GoodbyeSent || _goodbyeReceived ? GracefulReason() : ShutdownReason.PeerClosed))
        {
            // The loop ended on the peer's FIN: answer what the peer is still owed before closing.
            try
            {
                await WhenInboundIdle().WaitAsync(_settings.Options.DrainTimeout, _settings.Time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Handlers that outlive the drain timeout are cancelled below; their answers are dropped.
            }

            EndConversation(ShutdownReason);
        }

        CompleteOutput();
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

        _lifetime.Cancel();
        Action<PeerConnection>? whenClosed = Interlocked.Exchange(ref _whenClosed, s_closed);
        whenClosed?.Invoke(this);
        _completed.TrySetResult();
    }

    private Task WhenInboundIdle()
    {
        if (IncomingInFlight == 0)
        {
            return Task.CompletedTask;
        }

        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskCompletionSource current = Interlocked.CompareExchange(ref _inboundIdle, idle, null) ?? idle;
        if (IncomingInFlight == 0)
        {
            current.TrySetResult();
        }

        return current.Task;
    }
}
