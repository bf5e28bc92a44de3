using PeerEngine.Connections.Internal;
using PeerEngine.Correlation;
using PeerEngine.Framing;

namespace PeerEngine.Connections;

internal sealed partial class PeerConnection
{
    private static readonly ProtocolError HandshakeTimedOut =
        new(ErrorCode.HandshakeTimeout, "no valid HELLO within the handshake timeout");

    private static readonly ProtocolError TooSlow =
        new(ErrorCode.ProtocolViolation, "a frame arrived slower than the minimum data rate");

    private int _consecutiveTimeouts;
    private int _unresponsiveAfter;
    private Action<PeerConnection>? _whenUnresponsive;
    private long _startedAt;
    private long _lastReceived;
    private long _lastPingSent;
    private long _partialFrameStart;
    private long _partialFrameBytes;
    private bool _readingPaused;

    /// <summary>
    /// The connection's clock, called by the shared <see cref="ConnectionHeartbeat"/>: the handshake
    /// deadline (rule 9), the minimum data rate of a started frame (rule 9), and keep-alive (rule 10).
    /// One sweep for all connections instead of timers per connection keeps 10,000 idle ones cheap.
    /// </summary>
    internal void OnHeartbeat(long now)
    {
        if (ShutdownReason != ShutdownReason.None)
        {
            return;
        }

        if (!_handshaken.IsCompleted)
        {
            if (_settings.Time.GetElapsedTime(_startedAt, now) >= _settings.Options.HandshakeTimeout)
            {
                Violate(HandshakeTimedOut, ShutdownReason.HandshakeTimeout);
            }

            return;
        }

        CheckLingerAfterDrain(now);
        CheckDataRate(now);
        CheckKeepAlive(now);
    }

    /// <summary>
    /// Drained and done sending: the peer should now close its side too. A peer that does not is
    /// given <see cref="PeerConnectionOptions.CloseLinger"/>, then the connection is closed from here.
    /// </summary>
    private void CheckLingerAfterDrain(long now)
    {
        long drainedAt = Volatile.Read(ref _drainedAt);
        if (drainedAt != 0 && !_stopReading && _settings.Time.GetElapsedTime(drainedAt, now) >= _settings.Options.CloseLinger)
        {
            _stopReading = true;
            _transport.Input.CancelPendingRead();
        }
    }

    private void CheckDataRate(long now)
    {
        long started = Volatile.Read(ref _partialFrameStart);
        if (started == 0 || Volatile.Read(ref _readingPaused) || _settings.Options.MinDataRate <= 0)
        {
            return;
        }

        TimeSpan elapsed = _settings.Time.GetElapsedTime(started, now);
        if (elapsed <= _settings.Options.MinDataRateGracePeriod)
        {
            return;
        }

        double rate = Volatile.Read(ref _partialFrameBytes) / elapsed.TotalSeconds;
        if (rate < _settings.Options.MinDataRate)
        {
            Violate(TooSlow, ShutdownReason.MinimumDataRate);
        }
    }

    private void CheckKeepAlive(long now)
    {
        TimeSpan silence = _settings.Time.GetElapsedTime(Volatile.Read(ref _lastReceived), now);
        if (silence >= _settings.Options.KeepAliveTimeout)
        {
            // Rule 10: closed without a further frame.
            Abort(ShutdownReason.KeepAliveTimeout);
            return;
        }

        if (silence >= _settings.Options.KeepAliveInterval && _settings.Time.GetElapsedTime(_lastPingSent, now) >= _settings.Options.KeepAliveInterval)
        {
            _lastPingSent = now;

            // Id 0: PingAsync never uses it, so the PONG is recognised as a keep-alive's and ignored.
            WriteControl(new DataFrame(FrameKind.Ping, 0, ReadOnlyMemory<byte>.Empty));
        }
    }

    /// <summary>
    /// Runs <paramref name="callback"/> each time <paramref name="afterTimeouts"/> requests in a row
    /// have timed out with no answer from the peer in between: how a pool notices a peer that is
    /// connected but no longer answers (frozen, swapping, cut off). Set once, before the first request.
    /// </summary>
    internal void WhenUnresponsive(int afterTimeouts, Action<PeerConnection> callback)
    {
        _unresponsiveAfter = afterTimeouts;
        _whenUnresponsive = callback;
    }

    /// <summary>Requests that timed out since the peer last answered anything.</summary>
    internal int ConsecutiveTimeouts => Volatile.Read(ref _consecutiveTimeouts);

    void IPendingRequestObserver.OnTimedOut()
    {
        if (Interlocked.Increment(ref _consecutiveTimeouts) == _unresponsiveAfter)
        {
            _whenUnresponsive?.Invoke(this);
        }
    }

    /// <summary>An answer of any kind, late ones included: the peer is alive.</summary>
    private void PeerAnswered()
    {
        if (_consecutiveTimeouts != 0)
        {
            Volatile.Write(ref _consecutiveTimeouts, 0);
        }
    }
}
