namespace PeerEngine.Connections.Internal;

/// <summary>
/// One timer for many connections: every tick, each registered connection checks its deadlines
/// (Kestrel's heartbeat). The tick is a fraction of the shortest timeout it serves, so a deadline is
/// noticed within a quarter of its length, and never coarser than a second.
/// </summary>
internal sealed class ConnectionHeartbeat : IDisposable
{
    private static readonly TimeSpan Coarsest = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Finest = TimeSpan.FromMilliseconds(10);

    private readonly HashSet<PeerConnection> _connections = [];
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private PeerConnection[] _snapshot = [];
    private int _ticking;

    public ConnectionHeartbeat(TimeProvider time, TimeSpan interval)
    {
        _time = time;
        Interval = interval;
        using (ExecutionContext.SuppressFlow()) // a timer for the process's life, not the creator's context
        {
            _timer = time.CreateTimer(static state => ((ConnectionHeartbeat)state!).Tick(), this, interval, interval);
        }
    }

    public TimeSpan Interval { get; }

    /// <summary>The tick that serves <paramref name="options"/>' timeouts.</summary>
    public static TimeSpan IntervalFor(PeerConnectionOptions options)
    {
        TimeSpan shortest = new[] { options.HandshakeTimeout, options.KeepAliveInterval, options.MinDataRateGracePeriod, Coarsest * 4 }
            .Where(t => t > TimeSpan.Zero)
            .Min();
        return TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, Finest.Ticks, Coarsest.Ticks));
    }

    public void Register(PeerConnection connection)
    {
        lock (_connections)
        {
            _connections.Add(connection);
        }
    }

    public void Unregister(PeerConnection connection)
    {
        lock (_connections)
        {
            _connections.Remove(connection);
        }
    }

    public void Dispose() => _timer.Dispose();

    private void Tick()
    {
        // A slow tick is skipped rather than overlapped.
        if (Interlocked.Exchange(ref _ticking, 1) != 0)
        {
            return;
        }

        try
        {
            int count;
            lock (_connections)
            {
                count = _connections.Count;
                if (_snapshot.Length < count)
                {
                    _snapshot = new PeerConnection[Math.Max(count, _snapshot.Length * 2)];
                }

                _connections.CopyTo(_snapshot);
            }

            long now = _time.GetTimestamp();
            for (int i = 0; i < count; i++)
            {
                _snapshot[i].OnHeartbeat(now);
                _snapshot[i] = null!;
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }
}
