using PeerEngine.Connections;
using PeerEngine.Diagnostics;

namespace PeerEngine.ConnectionPool;

/// <summary>The pool's circuit: a peer that stays connected but stops answering fails requests at once until it answers a PING.</summary>
internal sealed partial class PeerConnectionPool
{
    // The connection whose peer stopped answering, probed until it answers; null while the circuit is closed.
    private volatile PeerConnection? _unresponsive;

    /// <summary>Whether the peer stopped answering while connected: new requests fail at once until it answers a PING.</summary>
    public bool IsCircuitOpen => _unresponsive is not null;

    /// <summary>The peer behind <paramref name="connection"/> stopped answering: open the circuit and probe it.</summary>
    private void Suspect(PeerConnection connection)
    {
        lock (_lock)
        {
            if (_disposed || _unresponsive is not null)
            {
                return;
            }

            _unresponsive = connection;
        }

        PeerEngineLog.PeerUnresponsive(connection.Logger, PeerId, _options.CircuitBreakerTimeouts);

        // The requests still waiting on it were sent to the same silent peer: they fail now, rather
        // than each waiting out its own timeout.
        connection.FailWaitingRequests(CircuitOpen());
        using (ExecutionContext.SuppressFlow())
        {
            _ = ProbeAsync(connection);
        }
    }

    /// <summary>PINGs the unresponsive peer until it answers or the connection ends, then closes the circuit.</summary>
    private async Task ProbeAsync(PeerConnection connection)
    {
        await Task.Yield(); // off the timer thread that saw the last timeout
        while (!Volatile.Read(ref _disposed))
        {
            try
            {
                await connection.PingAsync(_options.CircuitProbeTimeout).ConfigureAwait(false);
                PeerEngineLog.PeerResponsive(connection.Logger, PeerId);
                break;
            }
            catch (TimeoutException)
            {
                // Still frozen: probe again. The connection's keep-alive ends it in time if it never answers.
            }
            catch (Exception e) when (e is PeerException or OperationCanceledException)
            {
                break; // the connection ended: the pool forgets it and the next request connects anew
            }
        }

        lock (_lock)
        {
            if (_unresponsive == connection)
            {
                _unresponsive = null;
            }
        }
    }

    private PeerUnavailableException CircuitOpen() => new(PeerId,
        $"{_options.CircuitBreakerTimeouts} requests in a row timed out; requests fail at once until the peer answers a PING (option CircuitBreakerTimeouts)");
}
