using System.Buffers;
using System.Net.Sockets;
using System.Text;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Framing;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Connections;

/// <summary>Whole conversations over real loopback TCP and Unix domain sockets.</summary>
public sealed class LoopbackConversationTests
{
    public static TheoryData<bool> Transports => new() { false, true };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task The_handshake_completes_in_both_roles_and_each_side_learns_the_other_id(bool unix)
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo, unix: unix);

        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        Assert.Equal("server", client.RemoteNodeId);
        Assert.Equal(ConnectionRole.Connecting, client.Role);
        Assert.Equal(1, listener.ConnectionCount);
    }

    public static TheoryData<bool, int> EchoSizes => new()
    {
        { false, 0 }, { false, 64 }, { false, 64 * 1024 }, { false, 1024 * 1024 },
        { true, 0 }, { true, 64 }, { true, 64 * 1024 }, { true, 1024 * 1024 },
    };

    [Theory]
    [MemberData(nameof(EchoSizes))]
    public async Task A_request_is_echoed_byte_for_byte(bool unix, int size)
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo, unix: unix);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);
        byte[] payload = new byte[size];
        new Random(size).NextBytes(payload);

        using PooledPayload response = await client.RequestAsync(payload);

        Assert.Equal(payload, response.ToArray());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Ten_thousand_pipelined_requests_on_one_connection_complete_out_of_order(bool unix)
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.DelayedEcho, unix: unix);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);
        var completionOrder = new List<int>();

        async Task Send(int i)
        {
            byte[] payload = BitConverter.GetBytes(i * 7919);
            using PooledPayload response = await client.RequestAsync(payload);
            Assert.Equal(payload, response.ToArray());
            lock (completionOrder)
            {
                completionOrder.Add(i);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 10_000).Select(Send));

        Assert.Equal(10_000, completionOrder.Count);
        Assert.NotEqual(Enumerable.Range(0, 10_000), completionOrder);
    }

    [Fact]
    public async Task Many_tasks_share_one_connection_concurrently()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        await Parallel.ForEachAsync(Enumerable.Range(0, 64), async (task, ct) =>
        {
            for (int i = 0; i < 200; i++)
            {
                byte[] payload = Encoding.UTF8.GetBytes($"task {task} request {i}");
                using PooledPayload response = await client.RequestAsync(payload, cancellationToken: ct);
                Assert.Equal(payload, response.ToArray());
            }
        });

        Assert.Equal(0, client.OutgoingRequests);
    }

    [Fact]
    public async Task Requests_flow_both_ways_because_peers_are_symmetric()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo);
        RequestHandler clientHandler = (request, _) =>
        {
            request.Response.Write("from the client"u8);
            return ValueTask.CompletedTask;
        };
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint, clientHandler);
        PeerConnection server = Assert.Single(listener.Connections);

        using PooledPayload answer = await server.RequestAsync("hi"u8.ToArray());

        Assert.Equal("from the client", Encoding.UTF8.GetString(answer.Span));
        Assert.Equal("client", server.RemoteNodeId);
    }

    [Fact]
    public async Task A_message_reaches_the_message_handler()
    {
        await using var harness = new ConnectionHarness();
        var received = new TaskCompletionSource<(string Peer, string Text)>(TaskCreationOptions.RunContinuationsAsynchronously);
        PeerListener listener = harness.Listen(onMessage: (message, _) =>
        {
            received.TrySetResult((message.PeerId, Encoding.UTF8.GetString(message.Payload.Span)));
            return ValueTask.CompletedTask;
        });
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        await client.SendMessageAsync("fire and forget"u8.ToArray());

        Assert.Equal(("client", "fire and forget"), await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_ping_gets_its_pong()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen();
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        TimeSpan roundTrip = await client.PingAsync();

        Assert.True(roundTrip > TimeSpan.Zero);
    }

    [Fact]
    public async Task No_handler_answers_error_4_and_the_connection_stays_open()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen();
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        var error = await Assert.ThrowsAsync<PeerErrorException>(async () => await client.RequestAsync("x"u8.ToArray()));

        Assert.Equal(ErrorCode.NoHandler, error.Code);
        Assert.True(client.IsUsable);
        Assert.True(await client.PingAsync() > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_throwing_handler_answers_error_5_without_its_internals()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Throwing);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        var error = await Assert.ThrowsAsync<PeerErrorException>(async () => await client.RequestAsync("x"u8.ToArray()));

        Assert.Equal(ErrorCode.HandlerFailed, error.Code);
        Assert.DoesNotContain("secret", error.PeerMessage, StringComparison.Ordinal);
        Assert.True(client.IsUsable);
    }

    [Fact]
    public async Task A_payload_over_the_maximum_is_refused_before_sending_and_the_connection_stays_up()
    {
        await using var harness = new ConnectionHarness(new PeerConnectionOptions { MaxPayloadLength = 1000 });
        PeerListener listener = harness.Listen(Handlers.Echo);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        var refused = await Assert.ThrowsAsync<PayloadTooLargeException>(async () => await client.RequestAsync(new byte[1001]));
        await Assert.ThrowsAsync<PayloadTooLargeException>(async () => await client.SendMessageAsync(new byte[1001]));

        Assert.Equal(1000, refused.Maximum);
        using PooledPayload fits = await client.RequestAsync(new byte[1000]);
        Assert.Equal(1000, fits.Length);
    }

    [Fact]
    public async Task A_response_over_the_maximum_becomes_error_5()
    {
        await using var harness = new ConnectionHarness(new PeerConnectionOptions { MaxPayloadLength = 1000 });
        PeerListener listener = harness.Listen((request, _) =>
        {
            request.Response.Write(new byte[1001]);
            return ValueTask.CompletedTask;
        });
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        var error = await Assert.ThrowsAsync<PeerErrorException>(async () => await client.RequestAsync("x"u8.ToArray()));

        Assert.Equal(ErrorCode.HandlerFailed, error.Code);
        Assert.True(client.IsUsable);
    }

    [Fact]
    public async Task A_request_times_out_frees_its_slot_and_the_late_answer_is_ignored()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(async (request, ct) =>
        {
            if (request.Payload.Span[0] == 1)
            {
                await release.Task;
            }

            await Handlers.Echo(request, ct);
        });
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        await Assert.ThrowsAsync<TimeoutException>(async () => await client.RequestAsync(new byte[] { 1 }, TimeSpan.FromMilliseconds(50)));
        Assert.Equal(0, client.OutgoingRequests);
        release.SetResult();

        // The late RESPONSE arrives and is dropped; the next request gets its own answer.
        using PooledPayload next = await client.RequestAsync(new byte[] { 2 });
        Assert.Equal([2], next.ToArray());
    }

    [Fact]
    public async Task A_cancelled_request_frees_its_slot()
    {
        var never = new TaskCompletionSource();
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(async (_, ct) => await never.Task.WaitAsync(ct));
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);
        using var cancel = new CancellationTokenSource();

        Task<PooledPayload> pending = client.RequestAsync("x"u8.ToArray(), cancellationToken: cancel.Token).AsTask();
        Assert.Equal(1, client.OutgoingRequests);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await pending);
        Assert.Equal(0, client.OutgoingRequests);
    }

    [Fact]
    public async Task A_reset_mid_request_fails_exactly_the_requests_in_flight()
    {
        var handlersStarted = new CountdownEvent(3);
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(async (_, ct) =>
        {
            handlersStarted.Signal();
            await Task.Delay(Timeout.Infinite, ct);
        });
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);
        Task<PooledPayload>[] inFlight = [.. Enumerable.Range(0, 3).Select(_ => client.RequestAsync("x"u8.ToArray()).AsTask())];
        Assert.True(handlersStarted.Wait(TimeSpan.FromSeconds(10)));

        PeerConnection server = Assert.Single(listener.Connections);
        server.Abort();

        foreach (Task<PooledPayload> request in inFlight)
        {
            var lost = await Assert.ThrowsAsync<ConnectionLostException>(() => request);
            Assert.Equal(ShutdownReason.ConnectionReset, lost.Reason);
        }

        await client.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<ConnectionLostException>(async () => await client.RequestAsync("late"u8.ToArray()));
    }

    [Fact]
    public async Task Goodbye_drains_the_requests_in_flight_then_both_sides_close()
    {
        await using var harness = new ConnectionHarness();

        await GoodbyeDrain.DrainsThenBothSidesCloseAsync(harness, unix: false);
    }

    [Fact]
    public async Task The_listener_serves_new_connections_after_a_peer_is_cut_off()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using (RawPeer bad = await RawPeer.ConnectAsync(listener.EndPoint))
        {
            await bad.SendAsync(FrameBytes.Build(0, 0x42, 0, 0, []));
            await bad.ExpectConnectionErrorAsync(ErrorCode.ProtocolViolation);
            await bad.ExpectClosedAsync();
        }

        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);
        using PooledPayload answer = await client.RequestAsync("still serving"u8.ToArray());
        Assert.Equal("still serving"u8.ToArray(), answer.ToArray());
    }

    [Fact]
    public async Task The_unix_socket_file_is_removed_when_the_listener_stops()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(unix: true);
        string path = ((UnixDomainSocketEndPoint)listener.EndPoint).ToString();
        Assert.True(File.Exists(path));

        await listener.StopAsync();

        Assert.False(File.Exists(path));
    }
}
