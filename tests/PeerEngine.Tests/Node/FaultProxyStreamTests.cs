using System.Diagnostics;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Node;

/// <summary>
/// A real node talking to another through a fault-injecting TCP proxy that reshapes the byte stream:
/// one byte per send and added latency change only timing; a half-close follows wire protocol rule 6.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FaultProxyStreamTests
{
    // Lengths around the 10-byte header and the pipes' 4 KiB blocks, and one larger than a 64 KiB block.
    private static readonly int[] Lengths = [0, 1, 2, 9, 10, 11, 255, 4095, 4096, 4097, 70_000];

    [Fact]
    public async Task One_byte_slices_change_nothing_but_time_every_answer_is_byte_for_byte_right()
    {
        await using ProxiedNodes nodes = await ProxiedNodes.StartAsync();
        await nodes.RequestAndCheckAsync(ProxiedNodes.Payload(20, seed: 0));
        var link = await nodes.Proxy.NextLinkAsync();
        long sendsBefore = link.Sends(ProxyDirection.ToClient) + link.Sends(ProxyDirection.ToTarget);
        long bytesBefore = link.BytesForwarded(ProxyDirection.ToClient) + link.BytesForwarded(ProxyDirection.ToTarget);

        nodes.Proxy.OneByteSlices = true;
        await Task.WhenAll(Lengths.Select((length, i) => nodes.RequestAndCheckAsync(ProxiedNodes.Payload(length, seed: i))));
        byte[] message = ProxiedNodes.Payload(3000, seed: 99);
        await nodes.Client.SendAsync("server", message);
        await nodes.RequestAndCheckAsync(ProxiedNodes.Payload(5, seed: 100));
        await Eventually.TrueAsync(() => !nodes.Messages.IsEmpty, "the message arrived");
        Assert.Equal(message, Assert.Single(nodes.Messages));

        long sends = link.Sends(ProxyDirection.ToClient) + link.Sends(ProxyDirection.ToTarget) - sendsBefore;
        long bytes = link.BytesForwarded(ProxyDirection.ToClient) + link.BytesForwarded(ProxyDirection.ToTarget) - bytesBefore;
        Assert.Equal(bytes, sends);
        Assert.True(bytes > 2 * Lengths.Sum(), $"only {bytes} bytes went through the proxy");
        Assert.Single(nodes.Proxy.Links);
    }

    [Fact]
    public async Task Added_latency_changes_nothing_but_time_every_answer_is_byte_for_byte_right()
    {
        TimeSpan latency = TimeSpan.FromMilliseconds(40);
        await using ProxiedNodes nodes = await ProxiedNodes.StartAsync();
        await nodes.RequestAndCheckAsync(ProxiedNodes.Payload(20, seed: 0));

        nodes.Proxy.Latency = latency;
        TimeSpan[] times = await Task.WhenAll(Lengths.Select(async (length, i) =>
        {
            var clock = Stopwatch.StartNew();
            await nodes.RequestAndCheckAsync(ProxiedNodes.Payload(length, seed: i));
            return clock.Elapsed;
        }));

        // Each request crosses at least one delayed chunk each way.
        Assert.All(times, t => Assert.True(t >= 2 * latency - TimeSpan.FromMilliseconds(5), $"a round trip took {t}"));
        Assert.Single(nodes.Proxy.Links);
    }

    [Fact]
    public async Task A_node_whose_peer_half_closed_still_sends_every_answer_it_owes()
    {
        await using ProxiedNodes nodes = await ProxiedNodes.StartAsync(o => o.Connections.RequestTimeout = TimeSpan.FromSeconds(20));
        await nodes.RequestAndCheckAsync(ProxiedNodes.Payload(20, seed: 0));
        var link = await nodes.Proxy.NextLinkAsync();
        Task<PooledPayload>[] held = [.. Enumerable.Range(0, 3).Select(nodes.RequestHeldAsync)];
        await nodes.WhenHeldAsync(3);

        // The server sees the requester's FIN (rule 6: a half-closed peer is still owed every answer)
        // and only then are its handlers let finish.
        nodes.Proxy.HalfClose(ProxyDirection.ToTarget);
        PeerConnection accepted = nodes.Server.Listeners[0].Connections.Single();
        await Eventually.TrueAsync(() => accepted.ShutdownReason == ShutdownReason.PeerClosed, "the server read the FIN");
        nodes.ReleaseHeld();

        for (int i = 0; i < held.Length; i++)
        {
            using PooledPayload answer = await held[i].WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(ProxiedNodes.Expected([ProxiedNodes.Hold, (byte)i]), answer.ToArray());
        }

        // Then the server closes its side; the requester sees the end and drops the connection.
        await link.SourceFinished(ProxyDirection.ToClient).WaitAsync(TimeSpan.FromSeconds(10));
        await Eventually.TrueAsync(() => nodes.Client.OutboundConnections == 0, "the client dropped the finished connection");
        await nodes.RequestAndCheckAsync(ProxiedNodes.Payload(20, seed: 1));
        Assert.Equal(2, nodes.Proxy.Links.Count);
    }

    [Fact]
    public async Task A_requester_whose_peer_half_closed_fails_its_requests_at_once_rather_than_by_timeout()
    {
        await using ProxiedNodes nodes = await ProxiedNodes.StartAsync(o => o.Connections.RequestTimeout = TimeSpan.FromSeconds(20));
        await nodes.RequestAndCheckAsync(ProxiedNodes.Payload(20, seed: 0));
        var link = await nodes.Proxy.NextLinkAsync();
        Task<PooledPayload>[] held = [.. Enumerable.Range(0, 3).Select(nodes.RequestHeldAsync)];
        await nodes.WhenHeldAsync(3);

        // The server's side stops sending: it can no longer answer, so waiting would only end in a timeout.
        var clock = Stopwatch.StartNew();
        nodes.Proxy.HalfClose(ProxyDirection.ToClient);
        foreach (Task<PooledPayload> request in held)
        {
            ConnectionLostException lost = await Assert.ThrowsAsync<ConnectionLostException>(() => request);
            Assert.Equal(ShutdownReason.PeerClosed, lost.Reason);
        }

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the requests failed only after {clock.Elapsed}");

        // The requester answers the FIN with its own; the server, half-closed now, finishes the work it
        // took on (its answers go nowhere) and closes.
        await link.SourceFinished(ProxyDirection.ToTarget).WaitAsync(TimeSpan.FromSeconds(10));
        nodes.ReleaseHeld();
        await Eventually.TrueAsync(() => nodes.Server.InboundConnections == 0, "the server closed the connection");
        await nodes.RequestAndCheckAsync(ProxiedNodes.Payload(20, seed: 1));
        Assert.Equal(2, nodes.Proxy.Links.Count);
    }
}
