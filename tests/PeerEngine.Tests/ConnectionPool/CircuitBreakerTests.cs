using System.Diagnostics;
using System.Net;
using PeerEngine.Buffers;
using PeerEngine.ConnectionPool;
using PeerEngine.Connections;
using PeerEngine.Diagnostics;
using PeerEngine.Tests.Support;
using PeerEngine.Transport;

namespace PeerEngine.Tests.ConnectionPool;

/// <summary>A peer that stays connected but stops answering (frozen): the pool fails fast until it answers again.</summary>
public sealed class CircuitBreakerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMilliseconds(200);

    [Fact]
    public async Task After_consecutive_timeouts_new_requests_fail_at_once_until_a_probe_is_answered()
    {
        await using var harness = new ConnectionHarness(new PeerConnectionOptions { RequestTimeout = RequestTimeout });
        var frozen = new LinkFaults();
        var connector = new InMemoryConnector(harness.Settings("peer", Handlers.Echo), frozen);
        var options = new ConnectionPoolOptions { CircuitBreakerTimeouts = 3, CircuitProbeTimeout = TimeSpan.FromMilliseconds(100) };
        await using var pool = new PeerConnectionPool("peer", new DnsEndPoint("peer", 1), new PeerConnector(connector, harness.Settings("client")), options, TimeProvider.System, new PeerEngineMetrics());

        Assert.Equal([1], await RequestAsync(pool, 1));

        // The peer freezes: three requests time out in a row; the circuit opens, and requests still
        // waiting (these with a long timeout of their own) fail at once, as unavailable.
        frozen.Stall();
        var frozenAt = Stopwatch.StartNew();
        Task[] timingOut = [.. Enumerable.Range(0, 3).Select(i => RequestAsync(pool, (byte)i))];
        Task[] waiting = [.. Enumerable.Range(3, 3).Select(i => RequestAsync(pool, (byte)i, Patience))];
        foreach (Task request in timingOut)
        {
            await Assert.ThrowsAsync<TimeoutException>(() => request.WaitAsync(Patience));
        }

        foreach (Task request in waiting)
        {
            await Assert.ThrowsAsync<PeerUnavailableException>(() => request.WaitAsync(Patience));
        }

        Assert.True(frozenAt.Elapsed < RequestTimeout + TimeSpan.FromSeconds(1), $"the requests in flight ended after {frozenAt.Elapsed}");

        // Now the circuit is open: a new request fails at once, without waiting for its timeout.
        ValueTask<PeerConnection> next = pool.GetAsync(CancellationToken.None);
        Assert.True(next.IsFaulted);
        PeerUnavailableException open = await Assert.ThrowsAsync<PeerUnavailableException>(async () => await next);
        Assert.Contains("CircuitBreakerTimeouts", open.Message, StringComparison.Ordinal);
        Assert.Equal(1, pool.Count);

        // The peer thaws: a probe is answered, the circuit closes, requests are served again.
        Assert.True(pool.IsCircuitOpen);
        frozen.Resume();
        await Eventually.WaitUntilAsync(() => !pool.IsCircuitOpen, Patience, "the circuit closes once the peer answers");
        Assert.Equal([9], await RequestAsync(pool, 9));
    }

    [Fact]
    public async Task A_slow_peer_that_answers_late_keeps_the_circuit_closed()
    {
        await using var harness = new ConnectionHarness(new PeerConnectionOptions { RequestTimeout = RequestTimeout });
        var slow = new LinkFaults { DelayPerChunk = RequestTimeout * 2 };
        var connector = new InMemoryConnector(harness.Settings("peer", Handlers.Echo), slow);
        var options = new ConnectionPoolOptions { CircuitBreakerTimeouts = 2 };
        await using var pool = new PeerConnectionPool("peer", new DnsEndPoint("peer", 1), new PeerConnector(connector, harness.Settings("client")), options, TimeProvider.System, new PeerEngineMetrics());

        // One at a time: each times out, and its late answer arrives before the next times out.
        for (int i = 0; i < 4; i++)
        {
            PeerConnection connection = await pool.GetAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
            await Assert.ThrowsAsync<TimeoutException>(async () => await connection.RequestAsync(new byte[] { (byte)i }));
            await Eventually.WaitUntilAsync(() => connection.ConsecutiveTimeouts == 0, Patience, "the late answer arrives");
        }
    }

    private static async Task<byte[]> RequestAsync(PeerConnectionPool pool, byte value, TimeSpan? timeout = null)
    {
        PeerConnection connection = await pool.GetAsync(CancellationToken.None).AsTask().WaitAsync(Patience);
        using PooledPayload answer = await connection.RequestAsync(new[] { value }, timeout);
        return answer.ToArray();
    }

    /// <summary>Connects in memory to a peer served by <paramref name="serverSettings"/>, whose sending side suffers <paramref name="serverFaults"/>.</summary>
    private sealed class InMemoryConnector(ConnectionSettings serverSettings, LinkFaults serverFaults) : IConnectionConnector
    {
        public ValueTask<TransportConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
        {
            (InMemoryConnection connecting, InMemoryConnection accepting) = InMemoryConnection.CreatePair(acceptingFaults: serverFaults);
            serverSettings.Create(accepting, ConnectionRole.Accepting).Start();
            return ValueTask.FromResult<TransportConnection>(connecting);
        }
    }
}
