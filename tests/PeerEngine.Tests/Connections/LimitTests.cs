using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Framing;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Connections;

/// <summary>Each limit with its default, its option, and what happens at it.</summary>
public sealed class LimitTests
{
    [Fact]
    public void Every_limit_has_the_documented_default()
    {
        var options = new PeerConnectionOptions();
        var listener = new PeerListenerOptions();

        Assert.Equal(1024 * 1024, options.MaxPayloadLength);
        Assert.Equal(2, options.ProtocolVersion);
        Assert.Equal(TimeSpan.FromSeconds(5), options.HandshakeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(15), options.KeepAliveInterval);
        Assert.Equal(TimeSpan.FromSeconds(45), options.KeepAliveTimeout);
        Assert.Equal(240, options.MinDataRate);
        Assert.Equal(TimeSpan.FromSeconds(5), options.MinDataRateGracePeriod);
        Assert.Equal(1024, options.MaxRequestsInFlight);
        Assert.Equal(1024 * 1024, options.MaxSendBufferSize);
        Assert.Equal(TimeSpan.FromSeconds(10), options.DrainTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), options.CloseLinger);
        Assert.Equal(512, listener.ListenBacklog);
        Assert.True(listener.MaxConnections > 0);
    }

    [Theory]
    [InlineData(nameof(PeerConnectionOptions.MaxPayloadLength))]
    [InlineData(nameof(PeerConnectionOptions.MaxRequestsInFlight))]
    [InlineData(nameof(PeerConnectionOptions.KeepAliveTimeout))]
    [InlineData(nameof(PeerConnectionOptions.HandshakeTimeout))]
    [InlineData(nameof(PeerConnectionOptions.ProtocolVersion))]
    public void An_option_out_of_range_is_refused_by_name(string option)
    {
        var options = new PeerConnectionOptions();
        switch (option)
        {
            case nameof(PeerConnectionOptions.MaxPayloadLength): options.MaxPayloadLength = 0; break;
            case nameof(PeerConnectionOptions.MaxRequestsInFlight): options.MaxRequestsInFlight = 255; break;
            case nameof(PeerConnectionOptions.KeepAliveTimeout): options.KeepAliveTimeout = options.KeepAliveInterval; break;
            case nameof(PeerConnectionOptions.ProtocolVersion): options.ProtocolVersion = 3; break;
            default: options.HandshakeTimeout = TimeSpan.Zero; break;
        }

        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Contains(option, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_peer_that_never_says_hello_gets_error_8_and_is_disconnected()
    {
        await using var harness = new ConnectionHarness(new PeerConnectionOptions { HandshakeTimeout = TimeSpan.FromMilliseconds(300) });
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.ConnectAsync(listener.EndPoint);

        await peer.ExpectConnectionErrorAsync(ErrorCode.HandshakeTimeout);
        await peer.ExpectClosedAsync();
        await Eventually.TrueAsync(() => listener.ConnectionCount == 0, "the listener forgot the connection");
    }

    [Fact]
    public async Task A_slowloris_frame_is_cut_off_at_the_minimum_data_rate()
    {
        var options = new PeerConnectionOptions { MinDataRateGracePeriod = TimeSpan.FromMilliseconds(300) };
        await using var harness = new ConnectionHarness(options);
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.HandshakeAsync(listener.EndPoint);
        byte[] frame = FrameBytes.Build(FrameKind.Request, 1, new byte[1000]);
        PeerConnection server = Assert.Single(listener.Connections);

        // One byte at a time, far below 240 B/s.
        var trickle = Task.Run(async () =>
        {
            foreach (byte b in frame)
            {
                if (server.ShutdownReason != ShutdownReason.None)
                {
                    return;
                }

                await peer.Socket.SendAsync(new[] { b }, SocketFlags.None);
                await Task.Delay(50);
            }
        });

        await peer.ExpectConnectionErrorAsync(ErrorCode.ProtocolViolation);
        await peer.ExpectClosedAsync();
        Assert.Equal(ShutdownReason.MinimumDataRate, server.ShutdownReason);
        await trickle.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Fact]
    public async Task A_frame_arriving_in_small_pieces_above_the_rate_is_accepted()
    {
        var options = new PeerConnectionOptions { MinDataRateGracePeriod = TimeSpan.FromMilliseconds(100), MinDataRate = 240 };
        await using var harness = new ConnectionHarness(options);
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.HandshakeAsync(listener.EndPoint);
        byte[] frame = FrameBytes.Build(FrameKind.Request, 1, new byte[2000]);

        for (int offset = 0; offset < frame.Length; offset += 200)
        {
            await peer.Socket.SendAsync(frame.AsMemory(offset, Math.Min(200, frame.Length - offset)), SocketFlags.None);
            await Task.Delay(20);
        }

        (FrameHeader response, byte[] payload) = await peer.ReadFrameAsync();
        Assert.Equal(FrameKind.Response, response.Kind);
        Assert.Equal(2000, payload.Length);
    }

    [Fact]
    public async Task A_silent_peer_is_pinged_then_closed_without_a_further_frame()
    {
        var clock = new FakeTimeProvider();
        await using var harness = new ConnectionHarness(time: clock);
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.HandshakeAsync(listener.EndPoint);
        PeerConnection server = Assert.Single(listener.Connections);

        clock.Advance(TimeSpan.FromSeconds(15));
        (FrameHeader ping, _) = await peer.ReadFrameAsync();
        Assert.Equal(FrameKind.Ping, ping.Kind);

        // Rule 10: at 45 s of silence the connection is closed, with no ERROR and no other frame.
        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(ShutdownReason.None, server.ShutdownReason);
        clock.Advance(TimeSpan.FromSeconds(1));
        await server.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ShutdownReason.KeepAliveTimeout, server.ShutdownReason);
        while (true)
        {
            try
            {
                (FrameHeader frame, _) = await peer.ReadFrameAsync();
                Assert.Equal(FrameKind.Ping, frame.Kind);
            }
            catch (Exception e) when (e is EndOfStreamException or SocketException)
            {
                break;
            }
        }
    }

    [Fact]
    public async Task Peers_that_answer_pings_stay_connected_past_the_keepalive_timeout()
    {
        var clock = new FakeTimeProvider();
        await using var harness = new ConnectionHarness(time: clock);
        (PeerConnection client, PeerConnection server) = await harness.InMemoryAsync(Handlers.Echo);

        // Six keep-alive intervals, twice the keep-alive timeout, with no request: each interval a
        // side pings and is answered (whichever ticks first; the other then has heard from it), and
        // that traffic alone keeps the connection open.
        for (int interval = 1; interval <= 6; interval++)
        {
            long frames = client.FramesReceived + server.FramesReceived;
            clock.Advance(TimeSpan.FromSeconds(15));
            await Eventually.TrueAsync(
                () => client.FramesReceived + server.FramesReceived >= frames + 2,
                $"a PING and its PONG crossed in interval {interval}");
        }

        Assert.Equal(ShutdownReason.None, client.ShutdownReason);
        Assert.Equal(ShutdownReason.None, server.ShutdownReason);
        using PooledPayload answer = await client.RequestAsync("alive"u8.ToArray());
        Assert.Equal("alive"u8.ToArray(), answer.ToArray());
    }

    [Fact]
    public async Task A_stalled_peer_is_dropped_at_the_keepalive_timeout()
    {
        var clock = new FakeTimeProvider();
        var faults = new LinkFaults();
        await using var harness = new ConnectionHarness(time: clock);
        (PeerConnection client, PeerConnection server) = await harness.InMemoryAsync(Handlers.Echo, clientFaults: faults);
        faults.Stall();

        clock.Advance(TimeSpan.FromSeconds(44));
        Assert.Equal(ShutdownReason.None, server.ShutdownReason);
        clock.Advance(TimeSpan.FromSeconds(1));

        await server.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ShutdownReason.KeepAliveTimeout, server.ShutdownReason);
        Assert.NotEqual(ShutdownReason.None, client.ShutdownReason);
    }

    [Fact]
    public async Task At_max_requests_in_flight_the_connection_stops_reading_then_resumes()
    {
        const int limit = 256;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int running = 0;
        int peak = 0;
        await using var harness = new ConnectionHarness(new PeerConnectionOptions { MaxRequestsInFlight = limit });
        PeerListener listener = harness.Listen(async (request, ct) =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            await gate.Task;
            Interlocked.Decrement(ref running);
            await Handlers.Echo(request, ct);
        });
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);
        PeerConnection server = Assert.Single(listener.Connections);

        Task<PooledPayload>[] requests = [.. Enumerable.Range(0, limit + 100).Select(i => client.RequestAsync(BitConverter.GetBytes(i)).AsTask())];
        await Eventually.TrueAsync(() => Volatile.Read(ref running) == limit, "the handlers filled every slot");

        Assert.Equal(limit, server.IncomingInFlight);
        Assert.Equal(limit, Volatile.Read(ref peak));
        gate.SetResult();

        foreach (Task<PooledPayload> request in requests)
        {
            (await request).Dispose();
        }

        Assert.Equal(limit, peak);
    }

    [Fact]
    public async Task A_peer_that_never_reads_cannot_make_the_node_buffer_without_bound()
    {
        const int sendBuffer = 64 * 1024;
        const int limit = 256;
        int handled = 0;
        var options = new PeerConnectionOptions { MaxSendBufferSize = sendBuffer, MaxRequestsInFlight = limit };
        await using var harness = new ConnectionHarness(options);
        var faults = new LinkFaults();
        (PeerConnection client, PeerConnection server) = await harness.InMemoryAsync(
            serverRequests: (request, ct) =>
            {
                Interlocked.Increment(ref handled);
                return Handlers.Echo(request, ct);
            },
            serverFaults: faults);
        faults.Stall();

        // 2,000 requests of 16 KiB whose 32 MB of answers the client never takes in.
        byte[] payload = new byte[16 * 1024];
        Task<PooledPayload>[] requests = [.. Enumerable.Range(0, 2000).Select(_ => client.RequestAsync(payload).AsTask())];
        await Eventually.TrueAsync(() => server.IncomingInFlight == limit, "the server ran out of slots and stopped reading");

        // Answers held: what fits in the send buffer (plus the frame that crossed it), and the handlers
        // waiting to write theirs. Nothing else was read, so nothing else was handled.
        int bound = limit + sendBuffer / payload.Length + 2;
        Assert.InRange(Volatile.Read(ref handled), limit, bound);

        faults.Resume();
        foreach (Task<PooledPayload> request in requests)
        {
            using PooledPayload answer = await request;
            Assert.Equal(payload.Length, answer.Length);
        }
    }

    [Fact]
    public async Task Beyond_max_connections_a_connection_is_refused_and_the_others_are_served()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo, listenerOptions: new PeerListenerOptions { MaxConnections = 2 });
        PeerConnection first = await harness.ConnectAsync(listener.EndPoint);
        PeerConnection second = await harness.ConnectAsync(listener.EndPoint);

        await Assert.ThrowsAnyAsync<Exception>(() => harness.ConnectAsync(listener.EndPoint));

        Assert.Equal(1, listener.RejectedConnections);
        foreach (PeerConnection client in new[] { first, second })
        {
            using PooledPayload answer = await client.RequestAsync("served"u8.ToArray());
            Assert.Equal("served"u8.ToArray(), answer.ToArray());
        }
    }

    [Fact]
    public async Task A_real_reset_fails_exactly_the_requests_in_flight()
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen();
        await using var harness = new ConnectionHarness();
        Task<PeerConnection> connecting = harness.ConnectAsync(server.LocalEndPoint!);
        using Socket accepted = await server.AcceptAsync();
        var raw = new byte[4096];
        await accepted.ReceiveAsync(raw, SocketFlags.None);
        await accepted.SendAsync(FrameBytes.Written(w => FrameWriter.WriteHello(w, "resetter")), SocketFlags.None);
        PeerConnection client = await connecting;

        Task<PooledPayload>[] inFlight = [.. Enumerable.Range(0, 3).Select(_ => client.RequestAsync("x"u8.ToArray()).AsTask())];
        await Eventually.TrueAsync(() => accepted.Available >= 3 * 11, "the requests reached the server");
        accepted.LingerState = new LingerOption(true, 0); // close with RST
        accepted.Close();

        foreach (Task<PooledPayload> request in inFlight)
        {
            var lost = await Assert.ThrowsAsync<ConnectionLostException>(() => request);
            Assert.Equal(ShutdownReason.ConnectionReset, lost.Reason);
        }

        Assert.Equal(0, client.OutgoingRequests);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
