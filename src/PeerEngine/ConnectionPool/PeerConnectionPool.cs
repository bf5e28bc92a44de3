using System.Net;
using PeerEngine.ConnectionPool.Internal;
using PeerEngine.Connections;
using PeerEngine.Diagnostics;

namespace PeerEngine.ConnectionPool;

/// <summary>
/// The connections to one peer: opened on demand up to <see cref="ConnectionPoolOptions.MaxConnectionsPerPeer"/>
/// (another when even the least loaded carries <see cref="ConnectionPoolOptions.RequestsPerConnection"/>),
/// chosen by fewest requests in flight, dropped when they die, replaced after an exponential back-off,
/// and closed when idle. Concurrent callers share one connect attempt. A peer that stops answering
/// while connected opens the pool's circuit: new requests fail at once until a PING is answered.
/// </summary>
internal sealed partial class PeerConnectionPool : IAsyncDisposable
{
    private readonly PeerConnector _connector;
    private readonly ConnectionPoolOptions _options;
    private readonly TimeProvider _time;
    private readonly PeerEngineMetrics _metrics;
    private readonly Lock _lock = new();
    private readonly Action<PeerConnection> _remove;
    private readonly Action<PeerConnection> _suspect;
    private readonly bool _acceptAnyId;

    // Copy-on-write: the request path reads it without a lock.
    private volatile PeerConnection[] _connections = [];
    private readonly Dictionary<PeerConnection, IdleState> _idle = [];
    private Task<PeerConnection>? _connecting;
    private EndPoint _endPoint;
    private int _failures;
    private long _retryAt;
    private string _lastFailure = string.Empty;
    private bool _disposed;

    /// <summary>A pool of connections to one peer, opened through <paramref name="connector"/> to <paramref name="endPoint"/>.</summary>
    /// <param name="peerId">The peer's id, or its address when it is dialled by address.</param>
    /// <param name="endPoint">Where the peer listens; updated when it publishes another address.</param>
    /// <param name="connector">Opens connections and completes their handshake.</param>
    /// <param name="options">The pool's limits.</param>
    /// <param name="time">The clock.</param>
    /// <param name="metrics">The instruments to record on.</param>
    /// <param name="acceptAnyId">
    /// Dialled by address: whatever id the peer gives in its HELLO is accepted. Otherwise a connection to
    /// a node with another id (the address changed hands) is closed and counts as a failure.
    /// </param>
    public PeerConnectionPool(string peerId, EndPoint endPoint, PeerConnector connector, ConnectionPoolOptions options, TimeProvider time, PeerEngineMetrics metrics, bool acceptAnyId = false)
    {
        _metrics = metrics;
        _acceptAnyId = acceptAnyId;
        PeerId = peerId;
        _endPoint = endPoint;
        _connector = connector;
        _options = options;
        _time = time;
        _remove = Remove;
        _suspect = Suspect;
    }

    public string PeerId { get; }

    public EndPoint EndPoint
    {
        get
        {
            lock (_lock)
            {
                return _endPoint;
            }
        }
    }

    /// <summary>Open connections.</summary>
    public int Count => _connections.Length;

    /// <summary>Requests in flight over all connections.</summary>
    public int RequestsInFlight
    {
        get
        {
            int total = 0;
            foreach (PeerConnection connection in _connections)
            {
                total += connection.OutgoingRequests;
            }

            return total;
        }
    }

    /// <summary>Whether the pool is waiting out a back-off after failed connects.</summary>
    public bool IsBackingOff
    {
        get
        {
            lock (_lock)
            {
                return _failures > 0 && _time.GetTimestamp() < _retryAt;
            }
        }
    }

    /// <summary>
    /// The peer moved (it restarted on another port, or published a Unix socket): new connections go
    /// there, and a back-off earned at the old address is forgotten.
    /// </summary>
    public void UpdateEndPoint(EndPoint endPoint)
    {
        lock (_lock)
        {
            if (!_endPoint.Equals(endPoint))
            {
                _endPoint = endPoint;
                _failures = 0;
                _retryAt = 0;
            }
        }
    }

    /// <summary>A connection to send on: the least loaded open one, or a new one.</summary>
    /// <exception cref="PeerUnavailableException">No connection is open and the peer cannot be reached now.</exception>
    public ValueTask<PeerConnection> GetAsync(CancellationToken cancellationToken)
    {
        if (_unresponsive is not null)
        {
            return ValueTask.FromException<PeerConnection>(CircuitOpen());
        }

        PeerConnection[] connections = _connections;
        PeerConnection? best = null;
        foreach (PeerConnection connection in connections)
        {
            if (connection.IsUsable && (best is null || connection.OutgoingRequests < best.OutgoingRequests))
            {
                best = connection;
            }
        }

        if (best is null)
        {
            return ConnectAsync(cancellationToken);
        }

        if (best.OutgoingRequests >= _options.RequestsPerConnection && connections.Length < _options.MaxConnectionsPerPeer)
        {
            // Even the least loaded connection is busy and there is room for another: open it for the next callers.
            StartConnect(backgroundOnly: true);
        }

        return new ValueTask<PeerConnection>(best);
    }

    private async ValueTask<PeerConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        Task<PeerConnection> connecting = StartConnect(backgroundOnly: false)!;
        return await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private Task<PeerConnection>? StartConnect(bool backgroundOnly)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return backgroundOnly ? null : throw Stopping();
            }

            if (_connecting is not null)
            {
                return _connecting;
            }

            if (backgroundOnly && _connections.Length >= _options.MaxConnectionsPerPeer)
            {
                return null; // the caller saw an older, shorter list
            }

            long now = _time.GetTimestamp();
            if (_failures > 0 && now < _retryAt)
            {
                if (backgroundOnly)
                {
                    return null;
                }

                TimeSpan wait = _time.GetElapsedTime(now, _retryAt);
                throw new PeerUnavailableException(PeerId, $"{_lastFailure}; next attempt in {wait.TotalMilliseconds:0} ms");
            }

            _connecting = ConnectCoreAsync(_endPoint);
            return _connecting;
        }
    }

    private async Task<PeerConnection> ConnectCoreAsync(EndPoint endPoint)
    {
        await Task.Yield(); // the caller holds the pool's lock
        try
        {
            PeerConnection connection = await _connector.ConnectAsync(endPoint).ConfigureAwait(false);
            if (!_acceptAnyId && connection.RemoteNodeId != PeerId)
            {
                await connection.CloseAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                throw new PeerUnavailableException(PeerId, $"{endPoint} is now node '{connection.RemoteNodeId}'");
            }

            if (!TryAdd(connection))
            {
                // The pool closed while this connect was in flight: nobody would ever close it.
                await connection.CloseAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                throw Stopping();
            }

            return connection;
        }
        catch (Exception e) when (!Volatile.Read(ref _disposed))
        {
            _metrics.FailedConnections.Add(1);
            throw Failed(e);
        }
        catch (Exception e) when (e is not PeerUnavailableException)
        {
            throw Stopping(e);
        }
        finally
        {
            lock (_lock)
            {
                _connecting = null;
            }
        }
    }

    private PeerUnavailableException Failed(Exception cause)
    {
        lock (_lock)
        {
            _failures++;
            _lastFailure = cause is PeerUnavailableException unavailable ? unavailable.Message : $"connecting to {_endPoint} failed: {cause.Message}";
            _retryAt = _time.GetTimestamp() + (long)(Backoff.For(_failures, _options).TotalSeconds * _time.TimestampFrequency);
            return cause as PeerUnavailableException ?? new PeerUnavailableException(PeerId, _lastFailure, cause);
        }
    }

    private bool TryAdd(PeerConnection connection)
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            _failures = 0;
            _connections = [.. _connections, connection];
            _idle[connection] = new IdleState(connection.LastRequestId, TimeSpan.Zero);
        }

        connection.WhenUnresponsive(_options.CircuitBreakerTimeouts, _suspect);
        connection.WhenClosed(_remove);
        return true;
    }

    private PeerUnavailableException Stopping(Exception? cause = null) => new(PeerId, "the node is stopping", cause);

    private void Remove(PeerConnection connection)
    {
        lock (_lock)
        {
            if (_unresponsive == connection)
            {
                _unresponsive = null;
            }

            _connections = [.. _connections.Where(c => c != connection)];
            _idle.Remove(connection);
        }
    }

    /// <summary>
    /// The pool's periodic check: a connection that carried no request since the last check and has
    /// been idle past the idle timeout is closed; one idle for less is pinged, and dropped if the
    /// PING fails (a health check that keep-alive alone would take 45 s to conclude).
    /// </summary>
    public void CheckHealth(TimeSpan sinceLastCheck)
    {
        foreach (PeerConnection connection in _connections)
        {
            uint lastId = connection.LastRequestId;
            TimeSpan idle;
            lock (_lock)
            {
                // The last request id moves with every request: no clock is read on the request path.
                bool used = !_idle.TryGetValue(connection, out IdleState state) || state.LastRequestId != lastId || connection.OutgoingRequests > 0;
                idle = used ? TimeSpan.Zero : state.Idle + sinceLastCheck;
                _idle[connection] = new IdleState(lastId, idle);
            }

            if (idle >= _options.IdleTimeout)
            {
                _ = connection.CloseAsync();
            }
            else if (idle > TimeSpan.Zero)
            {
                _ = PingOrDropAsync(connection);
            }
        }
    }

    private static async Task PingOrDropAsync(PeerConnection connection)
    {
        try
        {
            await connection.PingAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is PeerException or TimeoutException)
        {
            connection.Abort(ShutdownReason.KeepAliveTimeout, e);
        }
    }

    /// <summary>Closes every connection gracefully (GOODBYE and drain) within <paramref name="drainTimeout"/>.</summary>
    public async Task CloseAsync(TimeSpan drainTimeout) =>
        await Task.WhenAll(StopTakingConnections().Select(c => c.CloseAsync(drainTimeout))).ConfigureAwait(false);

    public async ValueTask DisposeAsync()
    {
        foreach (PeerConnection connection in StopTakingConnections())
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>No connection is added from now on; the ones open now, for the caller to close.</summary>
    private PeerConnection[] StopTakingConnections()
    {
        lock (_lock)
        {
            _disposed = true;
            return _connections;
        }
    }

    private readonly record struct IdleState(uint LastRequestId, TimeSpan Idle);
}
