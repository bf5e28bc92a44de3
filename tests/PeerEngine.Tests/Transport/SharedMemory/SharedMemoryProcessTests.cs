using System.Diagnostics;
using System.Globalization;
using System.Runtime.Versioning;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Tests.Node;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;
using Xunit.Abstractions;

namespace PeerEngine.Tests.Transport.SharedMemory;

/// <summary>
/// A node in this process talking over shared memory to a peer node in a child process that is then
/// frozen (SIGSTOP) or killed (SIGKILL) with a frame half-way through the ring.
/// </summary>
[Collection(RegistryProcessGroup.Name)]
[SupportedOSPlatform("linux")]
public sealed class SharedMemoryProcessTests(ITestOutputHelper output)
{
    /// <summary>Far more than a 4 KiB ring: its frame is surely cut half-way when the reader stops.</summary>
    private static readonly byte[] Large = [0xFF, .. new byte[256 * 1024]];

    [Fact]
    public async Task A_peer_killed_mid_frame_is_seen_at_once_every_request_in_flight_fails_and_nothing_is_left()
    {
        string[] shmBefore = Directory.GetFiles("/dev/shm");
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("client", o => o.SharedMemory.RingSize = 4096);
        using ChildProcess victim = await StartPeerAsync(cluster, client, "victim");
        using (PooledPayload hello = await client.RequestAsync("victim", "over shared memory?"u8.ToArray()))
        {
            Assert.Equal("over shared memory?"u8.ToArray(), hello.ToArray());
        }

        Assert.True(RingMappings.Count() > 0, "the client reaches the peer over a ring");

        // Requests the child never answers (first byte 0xFF), then, with the child frozen, one whose
        // frame fills the ring and waits half-way for a reader that will never come back.
        Task<PooledPayload>[] held = [.. Enumerable.Range(0, 4).Select(_ => client.RequestAsync("victim", new byte[] { 0xFF }, TimeSpan.FromSeconds(60)).AsTask())];
        await Eventually.TrueAsync(() => client.RequestsInFlight >= held.Length, "the held requests are in flight");
        await Task.Factory.StartNew(victim.Stop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Task<PooledPayload> midFrame = client.RequestAsync("victim", Large, TimeSpan.FromSeconds(60)).AsTask();
        await Eventually.TrueAsync(() => client.RequestsInFlight >= held.Length + 1, "the large request is in flight");

        var clock = Stopwatch.StartNew();
        Task<TimeSpan> failed = Task.WhenAll(held.Append(midFrame).Select(r => r.ContinueWith(_ => { }, TaskScheduler.Default)))
            .ContinueWith(_ => clock.Elapsed, TaskScheduler.Default);
        await Task.Factory.StartNew(victim.Kill, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        TimeSpan reaped = clock.Elapsed;
        foreach (Task<PooledPayload> request in held.Append(midFrame))
        {
            var lost = await Assert.ThrowsAsync<ConnectionLostException>(() => request.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(ShutdownReason.ConnectionReset, lost.Reason);
        }

        TimeSpan failedAfter = await failed;
        output.WriteLine($"SIGKILL sent at 0, the child reaped at {reaped.TotalMilliseconds:0} ms, every request in flight failed at {failedAfter.TotalMilliseconds:0} ms");
        Assert.True(failedAfter < TimeSpan.FromSeconds(5), $"the requests failed only {failedAfter} after the kill");
        Assert.Equal(0, client.RequestsInFlight);

        // The connection's mapping and descriptors are gone from this process, and nothing was ever
        // made in /dev/shm (the kernel frees a memfd's pages with its last mapping).
        await Eventually.TrueAsync(() => RingMappings.Count() == 0 && RingDescriptors() == 0, "the ring is unmapped and no descriptor of it is left");
        Assert.Equal(shmBefore, Directory.GetFiles("/dev/shm"));
    }

    [Fact]
    public async Task A_frozen_reader_holds_a_writer_mid_frame_only_until_the_keep_alive_gives_up()
    {
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("client", o =>
        {
            o.SharedMemory.RingSize = 4096;
            o.Connections.KeepAliveInterval = TimeSpan.FromMilliseconds(500);
            o.Connections.KeepAliveTimeout = TimeSpan.FromSeconds(2);
        });
        using ChildProcess frozen = await StartPeerAsync(cluster, client, "frozen");
        using (PooledPayload hello = await client.RequestAsync("frozen", "hello"u8.ToArray()))
        {
            Assert.Equal("hello"u8.ToArray(), hello.ToArray());
        }

        await Task.Factory.StartNew(frozen.Stop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var clock = Stopwatch.StartNew();
        Task<PooledPayload> stuck = client.RequestAsync("frozen", Large, TimeSpan.FromSeconds(60)).AsTask();

        // The writer waits (the ring is full, the reader sleeps for ever), then the keep-alive, hearing
        // nothing for its timeout, closes the connection: the request fails long before its own timeout.
        Exception error = await Assert.ThrowsAnyAsync<Exception>(() => stuck.WaitAsync(TimeSpan.FromSeconds(30)));
        TimeSpan took = clock.Elapsed;
        output.WriteLine($"{error.GetType().Name} after {took.TotalMilliseconds:0} ms: {error.Message}");
        Assert.IsType<ConnectionLostException>(error);
        Assert.True(took < TimeSpan.FromSeconds(10), $"the writer was held {took}");
        await Eventually.TrueAsync(() => client.OutboundConnections == 0 && RingMappings.Count() == 0, "the connection is closed and its ring unmapped");
        await Task.Factory.StartNew(frozen.Continue, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private static int RingDescriptors() => Directory.EnumerateFileSystemEntries("/proc/self/fd").Count(fd =>
    {
        try
        {
            return new FileInfo(fd).LinkTarget?.Contains(RingMappings.RingName, StringComparison.Ordinal) == true;
        }
        catch (IOException)
        {
            return false;
        }
    });

    private static async Task<ChildProcess> StartPeerAsync(NodeCluster cluster, PeerNode client, string id)
    {
        ChildProcess child = ChildProcess.Start(
            "node", cluster.RegistryPath, id, ((int)NodeCluster.Ttl.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "200", TempPaths.UnixSocket());
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
