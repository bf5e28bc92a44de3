using System.Diagnostics;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Node;

/// <summary>
/// A real node talking to another through a fault-injecting TCP proxy: what a request sees when the
/// network drops everything, resets, or cuts a frame in half, and that the node comes back over a
/// new connection afterwards.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FaultProxyNodeTests
{
    // Loaded CI machines (two cores, parallel test classes) deliver timers late; the bound on a
    // timeout is its own length plus this, and nothing here is asserted tighter.
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_request_into_a_black_hole_fails_with_a_timeout_within_its_bound_and_a_new_connection_takes_over()
    {
        TimeSpan requestTimeout = TimeSpan.FromSeconds(1);
        await using ProxiedNodes nodes = await ProxiedNodes.StartAsync(o =>
        {
            o.Connections.RequestTimeout = requestTimeout;
            o.Pool.HealthCheckInterval = TimeSpan.FromMilliseconds(200);
        });
        await nodes.RequestAndCheckAsync(ProxiedNodes.Payload(100, seed: 1));
        var first = await nodes.Proxy.NextLinkAsync();

        nodes.Proxy.BlackHole();

        // The call's own timeout, then the connection's default.
        foreach (TimeSpan? timeout in new TimeSpan?[] { TimeSpan.FromMilliseconds(500), null })
        {
            TimeSpan bound = timeout ?? requestTimeout;
            var clock = Stopwatch.StartNew();
            await Assert.ThrowsAsync<TimeoutException>(() => nodes.RequestAndCheckAsync(ProxiedNodes.Payload(100, seed: 2), timeout));
            Assert.InRange(clock.Elapsed, bound - TimeSpan.FromMilliseconds(50), bound + Margin);
        }

        Assert.False(first.Ended.IsCompleted, "a black hole keeps the sockets open");
        Assert.Equal(1, nodes.Handled);

        // The pool's health check pings the idle connection; the PING vanishes too, times out, and
        // the connection is dropped. The next request goes over a new one.
        await Eventually.TrueAsync(() => nodes.Client.OutboundConnections == 0, "the pool dropped the black-holed connection");
        await nodes.RequestAndCheckAsync(ProxiedNodes.Payload(100, seed: 3));
        Assert.Equal(2, nodes.Proxy.Links.Count);
        Assert.True(nodes.Proxy.Links[1].BytesForwarded(ProxyDirection.ToClient) > 0);
    }

    [Fact]
    public async Task A_reset_fails_exactly_the_requests_in_flight_and_later_requests_succeed_on_a_new_connection()
    {
        // Long enough that a request failing by timeout could not pass for one failed by the reset.
        await using ProxiedNodes nodes = await ProxiedNodes.StartAsync(o => o.Connections.RequestTimeout = TimeSpan.FromSeconds(20));
        await Task.WhenAll(Enumerable.Range(0, 3).Select(i => nodes.RequestAndCheckAsync(ProxiedNodes.Payload(50, seed: i))));
        var first = await nodes.Proxy.NextLinkAsync();

        Task<PooledPayload>[] held = [.. Enumerable.Range(0, 4).Select(nodes.RequestHeldAsync)];
        await nodes.WhenHeldAsync(4);

        // Answers still flow past the held requests on the same connection.
        await nodes.RequestAndCheckAsync(ProxiedNodes.Payload(50, seed: 10));
        Assert.Equal(4, nodes.Client.RequestsInFlight);

        var clock = Stopwatch.StartNew();
        nodes.Proxy.ResetAfter(0, ProxyDirection.ToClient);
        await first.WasReset;

        foreach (Task<PooledPayload> request in held)
        {
            ConnectionLostException lost = await Assert.ThrowsAsync<ConnectionLostException>(() => request);
            Assert.Equal(ShutdownReason.ConnectionReset, lost.Reason);
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the requests in flight failed only after {clock.Elapsed}");
        Assert.Equal(0, nodes.Client.RequestsInFlight);

        await Task.WhenAll(Enumerable.Range(0, 5).Select(i => nodes.RequestAndCheckAsync(ProxiedNodes.Payload(1000, seed: 20 + i))));
        Assert.Equal(2, nodes.Proxy.Links.Count);
        await Eventually.TrueAsync(() => nodes.Server.InboundConnections == 1, "the server dropped the reset connection");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reset_in_the_middle_of_a_frame_fails_the_requests_in_flight_and_nothing_else(bool inTheRequest)
    {
        ProxyDirection direction = inTheRequest ? ProxyDirection.ToTarget : ProxyDirection.ToClient;
        await using ProxiedNodes nodes = await ProxiedNodes.StartAsync(o => o.Connections.RequestTimeout = TimeSpan.FromSeconds(20));
        await nodes.RequestAndCheckAsync(ProxiedNodes.Payload(10, seed: 1));
        var first = await nodes.Proxy.NextLinkAsync();
        Task<PooledPayload> held = nodes.RequestHeldAsync(0);
        await nodes.WhenHeldAsync(1);
        int handledBefore = nodes.Handled;

        // 100,000 bytes each way: the reset lands 40,000 bytes into the request, or into its answer.
        byte[] large = ProxiedNodes.Payload(100_000, seed: 2);
        long start = first.BytesForwarded(direction);
        nodes.Proxy.ResetAfter(40_000, direction);
        Task cut = nodes.RequestAndCheckAsync(large);
        await first.WasReset.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(ShutdownReason.ConnectionReset, (await Assert.ThrowsAsync<ConnectionLostException>(() => cut)).Reason);
        Assert.Equal(ShutdownReason.ConnectionReset, (await Assert.ThrowsAsync<ConnectionLostException>(() => held)).Reason);
        // Exactly 40,000 bytes after the reset was armed; a keep-alive or health-check PING (a few
        // bytes) may have passed between reading the count and arming it.
        Assert.InRange(first.BytesForwarded(direction) - start, 40_000, 40_000 + 64);

        // Cut on its way in, the request never reached a handler; cut on its way back, it had.
        Assert.Equal(direction == ProxyDirection.ToTarget ? handledBefore : handledBefore + 1, nodes.Handled);

        // The frame cut in half left no trace: the same request succeeds on a new connection.
        await nodes.RequestAndCheckAsync(large);
        Assert.Equal(2, nodes.Proxy.Links.Count);
    }
}
