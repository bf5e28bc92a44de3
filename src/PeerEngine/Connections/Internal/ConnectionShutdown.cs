using System.Diagnostics.CodeAnalysis;

namespace PeerEngine.Connections.Internal;

/// <summary>
/// How a connection ends, as a state machine: the first <see cref="ShutdownReason"/> (kept), the
/// GOODBYE exchange and drain of rule 11, the lifetime that cancels its handlers and waits, its
/// completion, and the callbacks run once it has closed. It only decides; the connection acts on
/// its answers (writes the GOODBYE, ends the output, aborts the transport).
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "The lifetime is cancelled, never disposed: handlers may read its token after the end, and a source with no timer holds nothing to release.")]
internal sealed class ConnectionShutdown
{
    // Marks _whenClosed once the connection has closed: a callback added later runs at once.
    private static readonly Action<PeerConnection> s_closed = static _ => { };

    private readonly CancellationTokenSource _lifetime = new();
    private LazyCompletion _completed;
    private Action<PeerConnection>? _whenClosed;
    private int _reason;
    private int _goodbyeSent;
    private volatile bool _goodbyeReceived;
    private bool _goodbyeFirstSentHere;
    private volatile bool _peerFinishedSending;
    private int _drained;
    private long _drainedAt;
    private volatile bool _stopReading;

    /// <summary>Why the connection ended; <see cref="ShutdownReason.None"/> while it is open.</summary>
    public ShutdownReason Reason => (ShutdownReason)Volatile.Read(ref _reason);

    /// <summary>Cancelled when the conversation ends: handlers, waits for room, slot waits.</summary>
    public CancellationToken Lifetime => _lifetime.Token;

    /// <summary>Completes when the connection has ended and released its resources.</summary>
    public Task Completion => _completed.Task;

    public bool GoodbyeSent => Volatile.Read(ref _goodbyeSent) != 0;

    public bool GoodbyeReceived => _goodbyeReceived;

    /// <summary>A GOODBYE either way, the peer done sending, or the connection ended: no new work starts.</summary>
    public bool IsClosing => GoodbyeSent || _goodbyeReceived || _peerFinishedSending || Reason != ShutdownReason.None;

    /// <summary>The peer said GOODBYE and ours is still owed.</summary>
    public bool OwesGoodbye => _goodbyeReceived && !GoodbyeSent;

    /// <summary>Both sides have said goodbye, or the peer has stopped sending: once idle, sending may end.</summary>
    public bool ConversationOver => (GoodbyeSent && _goodbyeReceived) || _peerFinishedSending;

    /// <summary>The receive loop should stop: drained, and the peer did not close within the linger.</summary>
    public bool StopReading => _stopReading;

    /// <summary>Records <paramref name="reason"/> if none is recorded yet: whether this call ended the connection.</summary>
    public bool TrySet(ShutdownReason reason) =>
        Interlocked.CompareExchange(ref _reason, (int)reason, 0) == 0;

    /// <summary>Cancels <see cref="Lifetime"/>.</summary>
    public void CancelLifetime() => _lifetime.Cancel();

    /// <summary>Whether this call is the one to send our GOODBYE: once (rule 11), and never after the end.</summary>
    public bool TryBeginGoodbye()
    {
        if (Reason != ShutdownReason.None || Interlocked.Exchange(ref _goodbyeSent, 1) != 0)
        {
            return false;
        }

        _goodbyeFirstSentHere = !_goodbyeReceived;
        return true;
    }

    public void OnGoodbyeReceived() => _goodbyeReceived = true;

    /// <summary>Records the peer's FIN; returns the reason its unanswered requests fail with.</summary>
    public ShutdownReason OnPeerFinishedSending()
    {
        _peerFinishedSending = true;
        return _goodbyeReceived ? GracefulReason() : ShutdownReason.PeerClosed;
    }

    /// <summary>The reason a connection ends with when the receive loop ends on the peer's FIN.</summary>
    public ShutdownReason EndReason() =>
        GoodbyeSent || _goodbyeReceived ? GracefulReason() : ShutdownReason.PeerClosed;

    /// <summary>Whether this call is the first to find the connection drained (it then ends sending).</summary>
    public bool TryMarkDrained(long now)
    {
        if (Interlocked.Exchange(ref _drained, 1) != 0)
        {
            return false;
        }

        Volatile.Write(ref _drainedAt, now);
        return true;
    }

    /// <summary>
    /// Drained and done sending: the peer should now close its side too. Whether it has had
    /// <paramref name="linger"/> to do so, and the receive loop must now stop (true once).
    /// </summary>
    public bool TryStopReadingAfter(TimeSpan linger, long now, TimeProvider time)
    {
        long drainedAt = Volatile.Read(ref _drainedAt);
        if (drainedAt == 0 || _stopReading || time.GetElapsedTime(drainedAt, now) < linger)
        {
            return false;
        }

        _stopReading = true;
        return true;
    }

    /// <summary>The error for work refused or lost: the recorded reason, or while closing, who began it.</summary>
    public ConnectionLostException Lost()
    {
        ShutdownReason reason = Reason;
        if (reason == ShutdownReason.None)
        {
            reason = _goodbyeReceived ? ShutdownReason.PeerGoodbye : _peerFinishedSending ? ShutdownReason.PeerClosed : ShutdownReason.LocalClose;
        }

        return new ConnectionLostException(reason);
    }

    /// <summary>
    /// Runs <paramref name="callback"/> once the connection has closed (at once if it has). A delegate
    /// field rather than a continuation on <see cref="Completion"/>: that would cost each connection a
    /// task, its continuation and a state tuple for its whole life (about 200 bytes of an idle
    /// connection's 3.5 KiB).
    /// </summary>
    public void WhenClosed(Action<PeerConnection> callback, PeerConnection connection)
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

        callback(connection);
    }

    /// <summary>The connection has released its resources: cancels the lifetime, runs the callbacks, completes.</summary>
    public void Complete(PeerConnection connection)
    {
        _lifetime.Cancel();
        Action<PeerConnection>? whenClosed = Interlocked.Exchange(ref _whenClosed, s_closed);
        whenClosed?.Invoke(connection);
        _completed.TrySetResult();
    }

    private ShutdownReason GracefulReason() => _goodbyeFirstSentHere ? ShutdownReason.LocalClose : ShutdownReason.PeerGoodbye;
}
