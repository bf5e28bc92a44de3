namespace PeerEngine.ConnectionPool;

/// <summary>How a node keeps connections to each peer.</summary>
public sealed class ConnectionPoolOptions
{
    /// <summary>
    /// Connections to one peer at most. One connection carries many requests at once, so a few
    /// suffice; a second opens when the first is busy. Default 2.
    /// </summary>
    public int MaxConnectionsPerPeer { get; set; } = 2;

    /// <summary>
    /// Requests in flight on the least loaded connection before another is opened. One connection
    /// batches many requests into each send; spreading a moderate load over several would only add
    /// syscalls (measured: 64 pipelined requests over two connections cost 20 % more than over one).
    /// Default 256.
    /// </summary>
    public int RequestsPerConnection { get; set; } = 256;

    /// <summary>A connection with no request for this long is closed gracefully. Default 2 min.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How often idle connections are checked with a PING (and closed when past the idle timeout). Default 30 s.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The wait after the first failed connect; it doubles with each further failure, with ±20 % jitter. Default 100 ms.</summary>
    public TimeSpan ReconnectBackoff { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between connect attempts: a peer that keeps failing is retried this often. Default 10 s.</summary>
    public TimeSpan MaxReconnectBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Requests in a row that time out on one connection before the peer is taken for unresponsive
    /// (frozen, swapping, partitioned): from then on new requests to it fail at once with
    /// <see cref="PeerUnavailableException"/>, instead of each waiting out its own timeout, until a
    /// PING is answered. Any answer resets the count. 0 turns the circuit off. Default 3.
    /// </summary>
    public int CircuitBreakerTimeouts { get; set; } = 3;

    /// <summary>How long each PING that probes an unresponsive peer waits for its PONG; probes follow each other until one is answered. Default 1 s.</summary>
    public TimeSpan CircuitProbeTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first option out of range.</summary>
    public void Validate()
    {
        Require(MaxConnectionsPerPeer > 0, nameof(MaxConnectionsPerPeer));
        Require(RequestsPerConnection > 0, nameof(RequestsPerConnection));
        Require(IdleTimeout > TimeSpan.Zero, nameof(IdleTimeout));
        Require(HealthCheckInterval > TimeSpan.Zero, nameof(HealthCheckInterval));
        Require(ReconnectBackoff > TimeSpan.Zero, nameof(ReconnectBackoff));
        Require(MaxReconnectBackoff >= ReconnectBackoff, nameof(MaxReconnectBackoff));
        Require(CircuitBreakerTimeouts >= 0, nameof(CircuitBreakerTimeouts));
        Require(CircuitProbeTimeout > TimeSpan.Zero, nameof(CircuitProbeTimeout));
    }

    private static void Require(bool condition, string name)
    {
        if (!condition)
        {
            throw new ArgumentException($"Option {name} is out of range.", name);
        }
    }
}
