using System.Buffers;
using PeerEngine.Framing;

namespace PeerEngine.Connections.Internal;

/// <summary>
/// A connection's clock: when it started, when the peer last sent anything, how far a started frame
/// has come, when the last keep-alive PING left; and the deadlines they make (rules 9 and 10). The
/// receive loop records, the <see cref="ConnectionHeartbeat"/>'s sweep asks; the connection acts.
/// </summary>
internal sealed class ConnectionTimers
{
    public static readonly ProtocolError HandshakeTimedOut =
        new(ErrorCode.HandshakeTimeout, "no valid HELLO within the handshake timeout");

    public static readonly ProtocolError TooSlow =
        new(ErrorCode.ProtocolViolation, "a frame arrived slower than the minimum data rate");

    private readonly TimeProvider _time;
    private readonly PeerConnectionOptions _options;
    private long _startedAt;
    private long _lastReceived;
    private long _lastPingSent;
    private long _partialFrameStart;
    private long _partialFrameBytes;
    private bool _readingPaused;

    public ConnectionTimers(TimeProvider time, PeerConnectionOptions options)
    {
        _time = time;
        _options = options;
    }

    /// <summary>What the keep-alive rule asks for now.</summary>
    public enum KeepAlive
    {
        None,

        /// <summary>The peer has been silent for an interval: send a PING.</summary>
        Ping,

        /// <summary>The peer has been silent past the timeout: close without a further frame.</summary>
        Expired,
    }

    public void Start()
    {
        long now = _time.GetTimestamp();
        _startedAt = now;
        _lastReceived = now;
        _lastPingSent = now;
    }

    /// <summary>Bytes have arrived.</summary>
    public void OnReceived() => Volatile.Write(ref _lastReceived, _time.GetTimestamp());

    /// <summary>What is left unread after a receive: the start of a frame whose rate is measured.</summary>
    public void TrackPartialFrame(in ReadOnlySequence<byte> unread)
    {
        if (unread.IsEmpty)
        {
            Volatile.Write(ref _partialFrameStart, 0);
            return;
        }

        if (Volatile.Read(ref _partialFrameStart) == 0)
        {
            Volatile.Write(ref _partialFrameStart, _time.GetTimestamp());
        }

        Volatile.Write(ref _partialFrameBytes, unread.Length);
    }

    /// <summary>The receive loop has stopped reading (rule 8): the peer's data rate is not measured meanwhile.</summary>
    public void PauseReading() => Volatile.Write(ref _readingPaused, true);

    /// <summary>Reading again. Time spent not reading is ours, not the peer's: the data-rate clock starts again.</summary>
    public void ResumeReading()
    {
        Volatile.Write(ref _partialFrameStart, 0);
        Volatile.Write(ref _readingPaused, false);
    }

    /// <summary>Rule 9: no valid HELLO within the handshake timeout.</summary>
    public bool HandshakeOverdue(long now) => _time.GetElapsedTime(_startedAt, now) >= _options.HandshakeTimeout;

    /// <summary>Rule 9: a started frame arrives slower than the minimum data rate, past its grace period.</summary>
    public bool ReceivingTooSlowly(long now)
    {
        long started = Volatile.Read(ref _partialFrameStart);
        if (started == 0 || Volatile.Read(ref _readingPaused) || _options.MinDataRate <= 0)
        {
            return false;
        }

        TimeSpan elapsed = _time.GetElapsedTime(started, now);
        if (elapsed <= _options.MinDataRateGracePeriod)
        {
            return false;
        }

        double rate = Volatile.Read(ref _partialFrameBytes) / elapsed.TotalSeconds;
        return rate < _options.MinDataRate;
    }

    /// <summary>Rule 10; a PING it asks for counts as sent.</summary>
    public KeepAlive CheckKeepAlive(long now)
    {
        TimeSpan silence = _time.GetElapsedTime(Volatile.Read(ref _lastReceived), now);
        if (silence >= _options.KeepAliveTimeout)
        {
            return KeepAlive.Expired;
        }

        if (silence >= _options.KeepAliveInterval && _time.GetElapsedTime(_lastPingSent, now) >= _options.KeepAliveInterval)
        {
            _lastPingSent = now;
            return KeepAlive.Ping;
        }

        return KeepAlive.None;
    }
}
