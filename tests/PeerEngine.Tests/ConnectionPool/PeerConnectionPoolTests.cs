using System.Buffers;
using System.Net;
using PeerEngine.Buffers;
using PeerEngine.ConnectionPool;
using PeerEngine.Connections;
using PeerEngine.Diagnostics;
using PeerEngine.Tests.Support;
using PeerEngine.Transport;

namespace PeerEngine.Tests.ConnectionPool;

/// <summary>The pool alone, over the in-memory transport: what it opens, reuses, refuses and closes.</summary>
public sealed class PeerConnectionPoolTests : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly InMemoryNetwork _network = new();
    private readonly ConnectionHarness _harness = new();
    private readonly List<PeerListener> _listeners = [];

    [Fact]
    public async Task Requests_reuse_one_connection_until_its_window_is_full()
    {
        EndPoint peer = Listen("peer");
        await using PeerConnectionPool pool = Pool("peer", peer, new ConnectionPoolOptions { RequestsPerConnection = 256 });

        for (int i = 0; i < 5; i++)
        {
            Assert.Equal([(byte)i], await RequestAsync(pool, (byte)i));
        }

        Assert.Equal(1, pool.Count);
        Assert.Equal(1, _network.ConnectionsMade);
    }

    [Fact]
    public async Task A_busy_connection_makes_the_pool_open_another_up_to_its_limit()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        EndPoint peer = Listen("peer", async (request, _) =>
        {
            await release.Task;
            request.Response.Write(request.Payload.Span);
        });
        await using PeerConnectionPool pool = Pool("peer", peer, new ConnectionPoolOptions { RequestsPerConnection = 1, MaxConnectionsPerPeer = 2 });

        Task<byte[]> first = RequestAsync(pool, 1);
        await Eventually.WaitUntilAsync(() => pool.RequestsInFlight == 1, Patience, "the first request is in flight");
        Task<byte[]> second = RequestAsync(pool, 2);
        await Eventually.WaitUntilAsync(() => pool.Count == 2, Patience, "a second connection opens for the second request");
        release.SetResult();

        Assert.Equal([1], await first.WaitAsync(Patience));
        Assert.Equal([2], await second.WaitAsync(Patience));
        Assert.Equal(2, _network.ConnectionsMade);
    }

    [Fact]
    public async Task A_node_with_another_id_at_the_address_is_refused_unless_any_id_is_accepted()
    {
        EndPoint address = Listen("someone-else");
        await using PeerConnectionPool byId = Pool("expected", address);
        PeerUnavailableException refused = await Assert.ThrowsAsync<PeerUnavailableException>(() => RequestAsync(byId, 1).WaitAsync(Patience));
        Assert.Contains("is now node 'someone-else'", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, byId.Count);

        await using PeerConnectionPool byAddress = Pool(address.ToString()!, address, acceptAnyId: true);
        Assert.Equal([7], await RequestAsync(byAddress, 7));
    }

    [Fact]
    public async Task Nobody_listening_fails_as_unavailable_and_the_next_try_waits_for_the_backoff()
    {
        var nowhere = new IPEndPoint(IPAddress.Loopback, 1);
        var options = new ConnectionPoolOptions { ReconnectBackoff = TimeSpan.FromMinutes(1) };
        await using PeerConnectionPool pool = Pool("absent", nowhere, options);

        await Assert.ThrowsAsync<PeerUnavailableException>(() => RequestAsync(pool, 1).WaitAsync(Patience));

        // Within the back-off the pool does not dial again: the failure is reported at once.
        PeerUnavailableException again = await Assert.ThrowsAsync<PeerUnavailableException>(() => RequestAsync(pool, 2).WaitAsync(Patience));
        Assert.Contains("next attempt in", again.Message, StringComparison.Ordinal);
        Assert.Equal(0, _network.ConnectionsMade);
    }

    [Fact]
    public async Task A_closed_pool_closes_its_connections_and_refuses_new_requests()
    {
        EndPoint peer = Listen("peer");
        PeerConnectionPool pool = Pool("peer", peer);
        Assert.Equal([1], await RequestAsync(pool, 1));
        PeerConnection connection = await pool.GetAsync(CancellationToken.None);

        await pool.CloseAsync(TimeSpan.FromSeconds(1));

        Assert.Equal(0, pool.Count);
        await connection.Completion.WaitAsync(Patience);
        await Assert.ThrowsAsync<PeerUnavailableException>(() => RequestAsync(pool, 2).WaitAsync(Patience));
        await pool.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (PeerListener listener in _listeners)
        {
            await listener.DisposeAsync();
        }

        await _harness.DisposeAsync();
    }

    private EndPoint Listen(string nodeId, RequestHandler? handler = null)
    {
        ConnectionSettings settings = _harness.Settings(nodeId, handler ?? Handlers.Echo);
        PeerListener listener = PeerListener.Start(_network.Transport(settings.Transport), new IPEndPoint(IPAddress.Loopback, 0), settings);
        _listeners.Add(listener);
        return listener.EndPoint;
    }

    private PeerConnectionPool Pool(string peerId, EndPoint endPoint, ConnectionPoolOptions? options = null, bool acceptAnyId = false)
    {
        ConnectionSettings settings = _harness.Settings("client");
        var connector = new PeerConnector(_network.Transport(settings.Transport), settings);
        return new PeerConnectionPool(peerId, endPoint, connector, options ?? new ConnectionPoolOptions(), TimeProvider.System, new PeerEngineMetrics(), acceptAnyId);
    }

    private static async Task<byte[]> RequestAsync(PeerConnectionPool pool, byte value)
    {
        PeerConnection connection = await pool.GetAsync(CancellationToken.None);
        using PooledPayload answer = await connection.RequestAsync(new[] { value });
        return answer.Span.ToArray();
    }
}
