using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Connections;

/// <summary>Whole conversations over the in-memory transport, where the link can be made to misbehave.</summary>
public sealed class InMemoryConversationTests
{
    [Fact]
    public async Task The_handshake_exchanges_node_ids()
    {
        await using var harness = new ConnectionHarness();

        (PeerConnection client, PeerConnection server) = await harness.InMemoryAsync(Handlers.Echo);

        Assert.Equal("server", client.RemoteNodeId);
        Assert.Equal("client", server.RemoteNodeId);
        Assert.True(client.IsUsable);
        Assert.True(server.IsUsable);
    }

    [Fact]
    public async Task Bytes_trickling_one_at_a_time_still_make_whole_frames()
    {
        await using var harness = new ConnectionHarness();
        var oneByteAtATime = new LinkFaults { ChunkSize = 1 };
        (PeerConnection client, _) = await harness.InMemoryAsync(Handlers.Echo, clientFaults: oneByteAtATime, serverFaults: new LinkFaults { ChunkSize = 1 });

        byte[] payload = [.. Enumerable.Range(0, 500).Select(i => (byte)i)];
        using PooledPayload answer = await client.RequestAsync(payload);

        Assert.Equal(payload, answer.ToArray());
    }

    [Fact]
    public async Task A_stalled_link_delays_answers_without_losing_them()
    {
        await using var harness = new ConnectionHarness();
        var faults = new LinkFaults();
        (PeerConnection client, _) = await harness.InMemoryAsync(Handlers.Echo, serverFaults: faults);
        faults.Stall();

        Task<PooledPayload>[] requests = [.. Enumerable.Range(0, 100).Select(i => client.RequestAsync(BitConverter.GetBytes(i)).AsTask())];
        await Task.Yield();
        Assert.All(requests, r => Assert.False(r.IsCompleted));
        faults.Resume();

        for (int i = 0; i < requests.Length; i++)
        {
            using PooledPayload answer = await requests[i];
            Assert.Equal(i, BitConverter.ToInt32(answer.Span));
        }
    }

    [Fact]
    public async Task An_abort_fails_the_requests_in_flight_on_both_sides()
    {
        await using var harness = new ConnectionHarness();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        (PeerConnection client, PeerConnection server) = await harness.InMemoryAsync(async (_, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
        });
        Task<PooledPayload> request = client.RequestAsync("x"u8.ToArray()).AsTask();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        client.Abort();

        var lost = await Assert.ThrowsAsync<ConnectionLostException>(() => request);
        Assert.Equal(ShutdownReason.LocalAbort, lost.Reason);
        await server.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ShutdownReason.ConnectionReset, server.ShutdownReason);
    }

    [Fact]
    public async Task A_graceful_close_from_either_side_completes_both()
    {
        await using var harness = new ConnectionHarness();
        (PeerConnection client, PeerConnection server) = await harness.InMemoryAsync(Handlers.Echo, clientRequests: Handlers.Echo);
        using (PooledPayload answer = await server.RequestAsync("server asks"u8.ToArray()))
        {
            Assert.Equal("server asks"u8.ToArray(), answer.ToArray());
        }

        await server.CloseAsync(TimeSpan.FromSeconds(10));

        await client.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ShutdownReason.LocalClose, server.ShutdownReason);
        Assert.Equal(ShutdownReason.PeerGoodbye, client.ShutdownReason);
    }
}
