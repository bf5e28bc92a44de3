using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Node;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;
using Xunit.Abstractions;

namespace PeerEngine.Tests.Node;

/// <summary>
/// Peer processes killed (SIGKILL) and frozen (SIGSTOP) under load from a node in this process: every
/// request of the load ends exactly once, answered or with a typed error, within its timeout plus
/// 1 s; none hangs; and the node serves a new peer as soon as one comes.
/// </summary>
[Collection(RegistryProcessGroup.Name)]
[SupportedOSPlatform("linux")]
public sealed class PeerProcessFaultTests(ITestOutputHelper output)
{
    private const int Workers = 32;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_killed_peer_under_load_ends_every_request_once_within_its_bound_and_the_node_moves_to_a_new_peer()
    {
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("client", o => o.Connections.RequestTimeout = RequestTimeout);
        using ChildProcess victim = await StartPeerAsync(cluster, client, "victim");
        await using var load = new RequestLoad(client, "victim", Workers, RequestTimeout, Grace);
        await Eventually.TrueAsync(() => load.Count(RequestLoad.AnswerFrom("victim")) >= 500, "the load is answered");
        // Between one batch of answers and the workers' next requests, none may be in flight for an instant.
        await Eventually.TrueAsync(() => client.RequestsInFlight is >= 1 and <= Workers, "the load's requests are in flight");

        // Besides the load, requests the child never answers (first byte 0xFF): surely in flight at
        // the kill, with a timeout long enough that only the lost connection can end them in time.
        Task<PooledPayload>[] held = [.. Enumerable.Range(0, 4).Select(_ => client.RequestAsync("victim", new byte[] { 0xFF }, TimeSpan.FromSeconds(30)).AsTask())];
        await Eventually.TrueAsync(() => client.RequestsInFlight >= held.Length, "the held requests are in flight");

        TimeSpan killedAt = load.Elapsed;
        await KillAsync(victim);
        foreach (Task<PooledPayload> request in held)
        {
            await Assert.ThrowsAsync<ConnectionLostException>(() => request.WaitAsync(TimeSpan.FromSeconds(10)));
        }

        TimeSpan heldFailedAfter = load.Elapsed - killedAt;
        await Eventually.TrueAsync(() => client.Peers.All(p => p.Id != "victim") && load.Count(nameof(PeerNotFoundException)) > 0, "the node dropped the dead peer", NodeCluster.Ttl + TimeSpan.FromSeconds(10));

        using ChildProcess successor = await StartPeerAsync(cluster, client, "successor");
        load.Target = "successor";
        await Eventually.TrueAsync(() => load.Count(RequestLoad.AnswerFrom("successor")) >= 500, "the new peer is answered");
        await load.StopAsync();

        output.WriteLine($"killed at {killedAt.TotalSeconds:0.000} s; held requests failed {heldFailedAfter.TotalSeconds:0.000} s later; {load.Describe()}; slowest {load.Slowest.TotalMilliseconds:0} ms");
        Assert.Empty(load.Violations);

        // A dead peer's kernel closes its sockets: nothing waits for a timeout. (Which of the typed errors
        // the load sees depends on what it had in flight at the instant: lost connection, failed connect, or unknown peer.)
        Assert.True(heldFailedAfter < TimeSpan.FromSeconds(5), $"the held requests failed only {heldFailedAfter} after the kill");
        Assert.Equal(0, load.Count(nameof(TimeoutException), "victim"));
        Assert.Equal(0, client.RequestsInFlight);
    }

    [Fact]
    public async Task A_frozen_peer_under_load_ends_every_request_once_within_its_bound_and_the_node_moves_to_a_new_peer()
    {
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("client", o => o.Connections.RequestTimeout = RequestTimeout);
        using ChildProcess frozen = await StartPeerAsync(cluster, client, "frozen");
        await using var load = new RequestLoad(client, "frozen", Workers, RequestTimeout, Grace);
        await Eventually.TrueAsync(() => load.Count(RequestLoad.AnswerFrom("frozen")) >= 500, "the load is answered");

        TimeSpan stoppedAt = load.Elapsed;
        await Task.Factory.StartNew(frozen.Stop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        // The kernel keeps the frozen process's sockets open and acknowledges what is sent: the first
        // requests fail by their timeout; once three in a row have, the pool's circuit opens and the
        // rest fail at once as unavailable, until the registry lets the silent peer expire.
        await Eventually.TrueAsync(
            () => load.Count(nameof(TimeoutException), "frozen") >= new ConnectionPoolOptions().CircuitBreakerTimeouts && load.Count(nameof(PeerUnavailableException), "frozen") > 0,
            "the requests in flight timed out and the circuit opened",
            RequestTimeout + TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => client.Peers.All(p => p.Id != "frozen") && load.Count(nameof(PeerNotFoundException)) > 0, "the node dropped the silent peer", NodeCluster.Ttl + TimeSpan.FromSeconds(10));

        using ChildProcess successor = await StartPeerAsync(cluster, client, "successor");
        load.Target = "successor";
        await Eventually.TrueAsync(() => load.Count(RequestLoad.AnswerFrom("successor")) >= 500, "the new peer is answered");

        // Thawed, the frozen peer answers what it had queued: late answers, to be ignored (rule 6).
        await Task.Factory.StartNew(frozen.Continue, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        long answeredBefore = load.Count(RequestLoad.AnswerFrom("successor"));
        await Eventually.TrueAsync(() => load.Count(RequestLoad.AnswerFrom("successor")) >= answeredBefore + 500, "the new peer is still answered");
        await load.StopAsync();

        TimeSpan? firstTimeout = load.FirstSeen(nameof(TimeoutException));
        TimeSpan? firstNotFound = load.FirstSeen("PeerNotFoundException");
        output.WriteLine(
            $"stopped at {stoppedAt.TotalSeconds:0.000} s; first timeout {(firstTimeout - stoppedAt)?.TotalSeconds:0.000} s later, " +
            $"first 'not found' {(firstNotFound - stoppedAt)?.TotalSeconds:0.000} s later; {load.Describe()}; slowest {load.Slowest.TotalMilliseconds:0} ms");
        Assert.Empty(load.Violations);
        Assert.True(load.Slowest <= RequestTimeout + Grace, $"slowest {load.Slowest}");

        // No request to a frozen peer fails before its timeout unless the peer is gone from discovery.
        Assert.True(firstTimeout - stoppedAt >= RequestTimeout - TimeSpan.FromMilliseconds(50), $"first timeout {firstTimeout - stoppedAt} after the stop");
        Assert.Equal(0, load.Count("ConnectionLostException(ConnectionReset)"));
    }

    [Fact]
    public async Task A_request_that_must_first_connect_to_a_frozen_peer_ends_within_its_timeout_plus_1_s()
    {
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("client", o => o.Connections.RequestTimeout = RequestTimeout);
        using ChildProcess frozen = await StartPeerAsync(cluster, client, "frozen");
        await Task.Factory.StartNew(frozen.Stop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        // No connection is open yet: the frozen peer's kernel accepts the connect, and its HELLO never comes.
        var clock = Stopwatch.StartNew();
        Exception error = await Assert.ThrowsAnyAsync<Exception>(async () => await client.RequestAsync("frozen", "hello?"u8.ToArray(), RequestTimeout));
        TimeSpan took = clock.Elapsed;

        output.WriteLine($"{error.GetType().Name} after {took.TotalSeconds:0.000} s: {error.Message}");
        Assert.True(error is TimeoutException or PeerException, error.ToString());
        Assert.True(took <= RequestTimeout + Grace, $"the request ended only after {took.TotalSeconds:0.000} s, its timeout is {RequestTimeout.TotalSeconds} s");
        await Task.Factory.StartNew(frozen.Continue, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    // Kill waits for the child's exit and its output streams: on a thread of its own, not one of the
    // two the thread pool starts with, which the node and the load need to notice the death at once.
    private static Task KillAsync(ChildProcess child) =>
        Task.Factory.StartNew(child.Kill, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static async Task<ChildProcess> StartPeerAsync(NodeCluster cluster, PeerNode client, string id)
    {
        ChildProcess child = ChildProcess.Start("node", cluster.RegistryPath, id, ((int)NodeCluster.Ttl.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "200");
        try
        {
            await child.ReadyAsync();
            await Eventually.TrueAsync(() => client.Peers.Any(p => p.Id == id), $"the client sees {id}");
            return child;
        }
        catch
        {
            child.Dispose();
            throw;
        }
    }
}
