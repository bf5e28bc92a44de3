using System.Text;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Framing;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Connections;

/// <summary>
/// Every bad-input rule of the wire protocol, sent as raw bytes from a plain socket: the node answers
/// with the connection ERROR the spec names, sends nothing after it, closes, and keeps serving others.
/// </summary>
public sealed class WireRuleTests
{
    private static byte[] Hello(string id = "raw") => FrameBytes.Written(w => FrameWriter.WriteHello(w, id));

    private static byte[] HelloPayload(ushort version, string id, params byte[] extra) =>
        [(byte)(version >> 8), (byte)version, (byte)id.Length, .. Encoding.ASCII.GetBytes(id), .. extra];

    public static TheoryData<string, byte[], ErrorCode> BeforeHandshake => new()
    {
        { "a REQUEST before HELLO", FrameBytes.Build(FrameKind.Request, 1, "x"u8), ErrorCode.ProtocolViolation },
        { "a PING before HELLO", FrameBytes.Build(FrameKind.Ping, 1, ""u8), ErrorCode.ProtocolViolation },
        { "HELLO version 3", FrameBytes.Build(FrameKind.Hello, 0, HelloPayload(3, "raw")), ErrorCode.UnsupportedVersion },
        { "HELLO version 0", FrameBytes.Build(FrameKind.Hello, 0, HelloPayload(0, "raw")), ErrorCode.UnsupportedVersion },
        { "HELLO version 3 with a non-zero id", FrameBytes.Build(FrameKind.Hello, 9, HelloPayload(3, "raw")), ErrorCode.UnsupportedVersion },
        { "HELLO version 3 with trailing bytes", FrameBytes.Build(FrameKind.Hello, 0, HelloPayload(3, "raw", 1, 2, 3)), ErrorCode.UnsupportedVersion },
        { "HELLO with a non-zero id", FrameBytes.Build(FrameKind.Hello, 9, HelloPayload(1, "raw")), ErrorCode.ProtocolViolation },
        { "HELLO with bytes after the id", FrameBytes.Build(FrameKind.Hello, 0, HelloPayload(1, "raw", 0)), ErrorCode.ProtocolViolation },
        { "HELLO with an invalid id", FrameBytes.Build(FrameKind.Hello, 0, HelloPayload(1, "a b")), ErrorCode.ProtocolViolation },
        { "HELLO too short for a version", FrameBytes.Build(FrameKind.Hello, 0, [1]), ErrorCode.ProtocolViolation },
        { "an oversized HELLO", FrameBytes.Build(2_000_000, (byte)FrameKind.Hello, 0, 0, []), ErrorCode.FrameTooLarge },
        { "an unknown kind first", FrameBytes.Build(0, 0x7F, 0, 0, []), ErrorCode.ProtocolViolation },
        { "HELLO with flags", FrameBytes.Build(5, (byte)FrameKind.Hello, 1, 0, HelloPayload(1, "raw").AsSpan(0, 5)), ErrorCode.ProtocolViolation },
    };

    [Theory]
    [MemberData(nameof(BeforeHandshake))]
    public async Task A_bad_first_frame_gets_the_error_alone_then_the_connection_closes(string rule, byte[] bytes, ErrorCode code) =>
        // The first frame back is the ERROR: a rejected HELLO is not answered with a HELLO (rule 1).
        await AssertRefusedAsync(rule, bytes, code, handshakeFirst: false);

    public static TheoryData<string, byte[], ErrorCode> AfterHandshake => new()
    {
        { "an oversized length", FrameBytes.Build(1_048_577, (byte)FrameKind.Request, 0, 1, []), ErrorCode.FrameTooLarge },
        { "an unknown kind", FrameBytes.Build(0, 0x09, 0, 0, []), ErrorCode.ProtocolViolation },
        { "non-zero flags", FrameBytes.Build(1, (byte)FrameKind.Request, 0x01, 1, [0]), ErrorCode.ProtocolViolation },
        { "a REQUEST with id 0", FrameBytes.Build(FrameKind.Request, 0, "x"u8), ErrorCode.ProtocolViolation },
        { "a second HELLO", Hello(), ErrorCode.ProtocolViolation },
        { "a second HELLO of another version", FrameBytes.Build(FrameKind.Hello, 0, HelloPayload(2, "raw")), ErrorCode.ProtocolViolation },
        { "a PING over 64 bytes", FrameBytes.Build(FrameKind.Ping, 1, new byte[65]), ErrorCode.ProtocolViolation },
        { "a PONG over 64 bytes", FrameBytes.Build(FrameKind.Pong, 1, new byte[65]), ErrorCode.ProtocolViolation },
        { "a MESSAGE with an id", FrameBytes.Build(FrameKind.Message, 4, "x"u8), ErrorCode.ProtocolViolation },
        { "a GOODBYE with an id", FrameBytes.Build(FrameKind.Goodbye, 4, ""u8), ErrorCode.ProtocolViolation },
        { "a GOODBYE with a payload", FrameBytes.Build(FrameKind.Goodbye, 0, "x"u8), ErrorCode.ProtocolViolation },
        { "an ERROR shorter than its code", FrameBytes.Build(FrameKind.Error, 3, [1]), ErrorCode.ProtocolViolation },
        { "an ERROR whose message is not UTF-8", FrameBytes.Build(FrameKind.Error, 3, [0, 5, 0xC3]), ErrorCode.ProtocolViolation },
    };

    [Theory]
    [MemberData(nameof(AfterHandshake))]
    public async Task A_bad_frame_after_the_handshake_gets_the_spec_error_then_the_connection_closes(string rule, byte[] bytes, ErrorCode code) =>
        await AssertRefusedAsync(rule, bytes, code, handshakeFirst: true);

    /// <summary>Sends <paramref name="bytes"/>; expects ERROR(<paramref name="code"/>, id 0), nothing after it, the close, and a listener still serving.</summary>
    private static async Task AssertRefusedAsync(string rule, byte[] bytes, ErrorCode code, bool handshakeFirst)
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = handshakeFirst ? await RawPeer.HandshakeAsync(listener.EndPoint) : await RawPeer.ConnectAsync(listener.EndPoint);
        try
        {
            await peer.SendAsync(bytes);
            await peer.ExpectConnectionErrorAsync(code);
            await peer.ExpectClosedAsync();
        }
        catch (Exception e)
        {
            // The failure names the rule: 25 cases share these lines.
            throw new Xunit.Sdk.XunitException($"{rule}: {e.Message}", e);
        }

        await StillServes(harness, listener);
    }

    [Fact]
    public async Task An_oversized_frame_is_refused_without_waiting_for_its_payload()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.HandshakeAsync(listener.EndPoint);

        // Only the header of a 4 GiB frame: the ERROR comes without a byte of payload.
        await peer.SendAsync(FrameBytes.Build(uint.MaxValue, (byte)FrameKind.Request, 0, 1, []));

        await peer.ExpectConnectionErrorAsync(ErrorCode.FrameTooLarge);
        await peer.ExpectClosedAsync();
    }

    [Fact]
    public async Task The_connecting_side_may_pipeline_requests_behind_its_hello()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.ConnectAsync(listener.EndPoint);

        await peer.SendAsync([.. Hello(), .. FrameBytes.Build(FrameKind.Request, 5, "early"u8)]);

        (FrameHeader hello, _) = await peer.ReadFrameAsync();
        (FrameHeader response, byte[] payload) = await peer.ReadFrameAsync();
        Assert.Equal(FrameKind.Hello, hello.Kind);
        Assert.Equal(new FrameHeader(5, FrameKind.Response, 0, 5), response);
        Assert.Equal("early"u8.ToArray(), payload);
    }

    [Fact]
    public async Task Unknown_answers_are_ignored_and_ping_is_echoed_with_its_payload()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.HandshakeAsync(listener.EndPoint);

        await peer.SendAsync(
        [
            .. FrameBytes.Build(FrameKind.Response, 77, "late"u8),
            .. FrameBytes.Build(FrameKind.Error, 78, [0, 5]),
            .. FrameBytes.Build(FrameKind.Pong, 79, ""u8),
            .. FrameBytes.Build(FrameKind.Ping, 80, "abc"u8),
        ]);

        (FrameHeader pong, byte[] payload) = await peer.ReadFrameAsync();
        Assert.Equal(new FrameHeader(3, FrameKind.Pong, 0, 80), pong);
        Assert.Equal("abc"u8.ToArray(), payload);
    }

    [Fact]
    public async Task A_request_after_the_node_said_goodbye_gets_error_7_and_the_connection_stays_until_drained()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.HandshakeAsync(listener.EndPoint);
        PeerConnection server = Assert.Single(listener.Connections);

        Task closing = server.CloseAsync();
        (FrameHeader goodbye, _) = await peer.ReadFrameAsync();
        Assert.Equal(FrameKind.Goodbye, goodbye.Kind);
        await peer.SendAsync(FrameBytes.Build(FrameKind.Request, 3, "x"u8));

        (FrameHeader refusal, byte[] payload) = await peer.ReadFrameAsync();
        Assert.Equal(FrameKind.Error, refusal.Kind);
        Assert.Equal(3u, refusal.CorrelationId);
        Assert.Equal((ushort)ErrorCode.ShuttingDown, (ushort)((payload[0] << 8) | payload[1]));

        await peer.SendAsync(FrameBytes.Build(FrameKind.Goodbye, 0, ""u8));
        await peer.ExpectClosedAsync();
        await closing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ShutdownReason.LocalClose, server.ShutdownReason);
    }

    [Fact]
    public async Task A_half_closed_peer_is_still_owed_every_answer()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.DelayedEcho);
        await using RawPeer peer = await RawPeer.HandshakeAsync(listener.EndPoint);

        await peer.SendAsync([.. FrameBytes.Build(FrameKind.Request, 1, [9]), .. FrameBytes.Build(FrameKind.Request, 2, [1])]);
        peer.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);

        var answered = new HashSet<uint>();
        for (int i = 0; i < 2; i++)
        {
            (FrameHeader response, _) = await peer.ReadFrameAsync();
            Assert.Equal(FrameKind.Response, response.Kind);
            answered.Add(response.CorrelationId);
        }

        Assert.Equal([1u, 2u], answered.Order());
        await peer.ExpectClosedAsync();
    }

    [Fact]
    public async Task A_connection_error_from_the_peer_fails_the_requests_in_flight()
    {
        using var server = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        server.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.IPv6Loopback, 0));
        server.Listen();
        await using var harness = new ConnectionHarness();
        Task<PeerConnection> connecting = harness.ConnectAsync(server.LocalEndPoint!);
        using System.Net.Sockets.Socket accepted = await server.AcceptAsync();
        await accepted.ReceiveAsync(new byte[64], System.Net.Sockets.SocketFlags.None);
        await accepted.SendAsync(Hello("raw-server"), System.Net.Sockets.SocketFlags.None);
        PeerConnection client = await connecting;
        Task<PooledPayload> request = client.RequestAsync("x"u8.ToArray()).AsTask();

        await accepted.SendAsync(FrameBytes.Written(w => FrameWriter.WriteError(w, 0, ErrorCode.ProtocolViolation, "you broke it")), System.Net.Sockets.SocketFlags.None);
        accepted.Shutdown(System.Net.Sockets.SocketShutdown.Send);

        var lost = await Assert.ThrowsAsync<ConnectionLostException>(() => request);
        Assert.Equal(ShutdownReason.PeerError, lost.Reason);
        await client.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ShutdownReason.PeerError, client.ShutdownReason);
    }

    private static async Task StillServes(ConnectionHarness harness, PeerListener listener)
    {
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);
        using PooledPayload answer = await client.RequestAsync("still here"u8.ToArray());
        Assert.Equal("still here"u8.ToArray(), answer.ToArray());
    }
}
