using System.Net;
using System.Net.Sockets;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Connections.Internal;
using PeerEngine.Framing;
using PeerEngine.Tests.Support;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Tests.Connections;

/// <summary>
/// Protocol version 2's handshake on the wire, from a plain socket on either side: negotiation both
/// ways, the fall-back to version 1, the HELLO's maximum payload, and every malformed version-2 HELLO.
/// </summary>
public sealed class Version2HandshakeTests
{
    [Fact]
    public async Task A_version_2_hello_is_answered_with_a_version_2_hello_announcing_the_maximum()
    {
        await using var harness = new ConnectionHarness(new PeerConnectionOptions { MaxPayloadLength = 300_000 });
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.ConnectAsync(listener.EndPoint);

        await peer.SendAsync(HelloBytes.Version2("raw", 2048));
        (FrameHeader header, byte[] payload) = await peer.ReadFrameAsync();

        Assert.Equal(FrameKind.Hello, header.Kind);
        Assert.Equal((0u, (byte)0), (header.CorrelationId, header.Flags));
        Assert.Equal(((ushort)2, "server", 300_000u), HelloBytes.Read(payload));
        PeerConnection server = Assert.Single(listener.Connections);
        Assert.Equal(WireProtocol.Version2, server.Negotiation.Version);
        Assert.Equal(2048, server.Negotiation.MaxSendPayloadLength);
    }

    [Fact]
    public async Task A_response_over_the_maximum_the_requester_announced_becomes_error_5()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.ConnectAsync(listener.EndPoint);
        await peer.SendAsync(HelloBytes.Version2("raw", 1024));
        await peer.ReadFrameAsync();

        // 2,000 bytes are within the node's own maximum, so it takes the request; its echo is not within ours.
        await peer.SendAsync(FrameBytes.Build(FrameKind.Request, 6, new byte[2000]));
        (FrameHeader answer, byte[] payload) = await peer.ReadFrameAsync();

        Assert.Equal((FrameKind.Error, 6u), (answer.Kind, answer.CorrelationId));
        Assert.Equal((ushort)ErrorCode.HandlerFailed, (ushort)((payload[0] << 8) | payload[1]));
        await peer.SendAsync(FrameBytes.Build(FrameKind.Request, 7, new byte[1024]));
        (FrameHeader fits, _) = await peer.ReadFrameAsync();
        Assert.Equal(new FrameHeader(1024, FrameKind.Response, 0, 7), fits);
    }

    [Fact]
    public async Task A_version_1_hello_is_answered_in_version_1_and_the_connection_follows_version_1()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.ConnectAsync(listener.EndPoint);

        await peer.SendAsync(HelloBytes.Version1("raw"));
        (_, byte[] hello) = await peer.ReadFrameAsync();
        Assert.Equal(((ushort)1, "server", 0u), HelloBytes.Read(hello));

        // Version 1 still answers, and still forbids every flag, TRACE included.
        await peer.SendAsync(FrameBytes.Build(FrameKind.Request, 4, "v1"u8));
        (FrameHeader response, byte[] payload) = await peer.ReadFrameAsync();
        Assert.Equal(new FrameHeader(2, FrameKind.Response, 0, 4), response);
        Assert.Equal("v1"u8.ToArray(), payload);
        await peer.SendAsync(TraceBlockWireTests.Traced(FrameKind.Request, 5, TraceBlockWireTests.Block(TraceBlockWireTests.ValidParent, ""), "x"u8));
        await peer.ExpectConnectionErrorAsync(ErrorCode.ProtocolViolation);
        await peer.ExpectClosedAsync();
    }

    [Fact]
    public async Task A_version_1_only_node_refuses_a_version_2_hello_with_error_3()
    {
        await using var harness = new ConnectionHarness(new PeerConnectionOptions { ProtocolVersion = 1 });
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.ConnectAsync(listener.EndPoint);

        await peer.SendAsync(HelloBytes.Version2("raw"));

        await peer.ExpectConnectionErrorAsync(ErrorCode.UnsupportedVersion);
        await peer.ExpectClosedAsync();
    }

    public static TheoryData<string, byte[]> MalformedVersion2Hellos => new()
    {
        { "a maximum cut short", FrameBytes.Build(FrameKind.Hello, 0, [.. HelloBytes.Payload(2, "raw"), 0, 0, 4]) },
        { "no maximum at all", FrameBytes.Build(FrameKind.Hello, 0, HelloBytes.Payload(2, "raw")) },
        { "a byte after the maximum", FrameBytes.Build(FrameKind.Hello, 0, HelloBytes.Payload(2, "raw", 4096, 0)) },
        { "a maximum of 1,023", FrameBytes.Build(FrameKind.Hello, 0, HelloBytes.Payload(2, "raw", 1023)) },
        { "a maximum of 0", FrameBytes.Build(FrameKind.Hello, 0, HelloBytes.Payload(2, "raw", 0)) },
        { "an id length past the end", FrameBytes.Build(FrameKind.Hello, 0, [0, 2, 9, (byte)'r', 0, 0, 4, 0]) },
        { "an invalid id", FrameBytes.Build(FrameKind.Hello, 0, HelloBytes.Payload(2, "a b", 4096)) },
        { "an empty id", FrameBytes.Build(FrameKind.Hello, 0, HelloBytes.Payload(2, "", 4096)) },
        { "a non-zero correlation id", FrameBytes.Build(FrameKind.Hello, 3, HelloBytes.Payload(2, "raw", 4096)) },
        { "the TRACE flag on the HELLO", FrameBytes.Build(11, (byte)FrameKind.Hello, WireProtocol.TraceFlag, 0, HelloBytes.Payload(2, "raw", 4096)) },
    };

    [Theory]
    [MemberData(nameof(MalformedVersion2Hellos))]
    public async Task A_malformed_version_2_hello_gets_error_1_alone_then_the_close(string rule, byte[] hello)
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.ConnectAsync(listener.EndPoint);
        try
        {
            await peer.SendAsync(hello);
            await peer.ExpectConnectionErrorAsync(ErrorCode.ProtocolViolation);
            await peer.ExpectClosedAsync();
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{rule}: {e.Message}", e);
        }
    }

    [Fact]
    public async Task A_dialler_offers_version_2_and_refuses_a_call_over_the_peers_maximum_before_sending_it()
    {
        await using var harness = new ConnectionHarness();
        using Socket server = ListenRaw();
        Task<PeerConnection> connecting = harness.ConnectAsync(server.LocalEndPoint!);
        using Socket accepted = await server.AcceptAsync();
        await using var peer = RawPeer.Over(accepted);

        (FrameHeader header, byte[] offered) = await peer.ReadFrameAsync();
        Assert.Equal(FrameKind.Hello, header.Kind);
        Assert.Equal(((ushort)2, "client", (uint)WireProtocol.DefaultMaxPayloadLength), HelloBytes.Read(offered));
        await peer.SendAsync(HelloBytes.Version2("small", 2048));
        PeerConnection client = await connecting;

        var refused = await Assert.ThrowsAsync<PayloadTooLargeException>(async () => await client.RequestAsync(new byte[2049]));
        await Assert.ThrowsAsync<PayloadTooLargeException>(async () => await client.SendMessageAsync(new byte[2049]));
        Assert.Equal(2048, refused.Maximum);
        Assert.Contains("peer's maximum", refused.Message, StringComparison.Ordinal);

        // Nothing of the refused calls reached the wire: the next frame is the one that fits.
        Task<PooledPayload> fits = client.RequestAsync(new byte[2048]).AsTask();
        (FrameHeader request, byte[] payload) = await peer.ReadFrameAsync();
        Assert.Equal((FrameKind.Request, 2048), (request.Kind, payload.Length));
        await peer.SendAsync(FrameBytes.Build(FrameKind.Response, request.CorrelationId, "ok"u8));
        using PooledPayload answer = await fits;
        Assert.Equal("ok"u8.ToArray(), answer.ToArray());
    }

    [Fact]
    public async Task A_dialler_refused_with_error_3_dials_again_with_version_1_and_remembers_the_peer()
    {
        await using var harness = new ConnectionHarness();
        ConnectionSettings settings = harness.Settings("client");
        var connector = new PeerConnector(new SocketTransport(settings.Transport), settings);
        using Socket server = ListenRaw();

        Task<PeerConnection> connecting = connector.ConnectAsync(server.LocalEndPoint!);
        using (Socket first = await server.AcceptAsync())
        {
            await using var refusing = RawPeer.Over(first);
            (_, byte[] offered) = await refusing.ReadFrameAsync();
            Assert.Equal(2, HelloBytes.Read(offered).Version);
            await refusing.SendAsync(FrameBytes.Written(w => FrameWriter.WriteError(w, 0, ErrorCode.UnsupportedVersion, "only protocol version 1 is supported")));
            first.Shutdown(SocketShutdown.Send);

            // Rule 1: a rejected HELLO is answered with the ERROR alone; the dialler sends nothing back.
            await refusing.ExpectClosedAsync();
        }

        PeerConnection client = await AnswerVersion1Async(server, connecting);
        Assert.Equal(WireProtocol.Version, client.Negotiation.Version);
        using (PooledPayload echoed = await EchoOnceAsync(client))
        {
            Assert.Equal("v1"u8.ToArray(), echoed.ToArray());
        }

        // Remembered: the next dial offers version 1 at once.
        PeerConnection again = await AnswerVersion1Async(server, connector.ConnectAsync(server.LocalEndPoint!));
        Assert.Equal(WireProtocol.Version, again.Negotiation.Version);
        await client.DisposeAsync();
        await again.DisposeAsync();
    }

    [Fact]
    public async Task Two_nodes_negotiate_the_highest_version_both_speak()
    {
        await using var v2 = new ConnectionHarness();
        await using var v1 = new ConnectionHarness(new PeerConnectionOptions { ProtocolVersion = 1 });

        PeerConnection both2 = await v2.ConnectAsync(v2.Listen(Handlers.Echo).EndPoint);
        PeerConnection toV1 = await v2.ConnectAsync(v1.Listen(Handlers.Echo).EndPoint);
        PeerConnection fromV1 = await v1.ConnectAsync(v2.Listen(Handlers.Echo).EndPoint);

        Assert.Equal(WireProtocol.Version2, both2.Negotiation.Version);
        Assert.Equal(WireProtocol.Version, toV1.Negotiation.Version);
        Assert.Equal(WireProtocol.Version, fromV1.Negotiation.Version);
        foreach (PeerConnection connection in new[] { both2, toV1, fromV1 })
        {
            using PooledPayload answer = await connection.RequestAsync("both"u8.ToArray());
            Assert.Equal("both"u8.ToArray(), answer.ToArray());
        }
    }

    [Fact]
    public async Task A_maximum_under_1024_makes_a_version_1_node()
    {
        await using var harness = new ConnectionHarness(new PeerConnectionOptions { MaxPayloadLength = 1000 });
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.ConnectAsync(listener.EndPoint);

        await peer.SendAsync(HelloBytes.Version2("raw"));

        await peer.ExpectConnectionErrorAsync(ErrorCode.UnsupportedVersion);
    }

    private static Socket ListenRaw()
    {
        var server = new Socket(SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.IPv6Loopback, 0));
        server.Listen();
        return server;
    }

    /// <summary>Accepts the next dial, expects a version-1 HELLO and answers one; the socket stays open for the conversation.</summary>
    private static async Task<PeerConnection> AnswerVersion1Async(Socket server, Task<PeerConnection> connecting)
    {
        Socket accepted = await server.AcceptAsync();
        var peer = RawPeer.Over(accepted);
        (_, byte[] offered) = await peer.ReadFrameAsync();
        Assert.Equal(((ushort)1, "client", 0u), HelloBytes.Read(offered));
        await peer.SendAsync(HelloBytes.Version1("old"));
        PeerConnection connection = await connecting;
        _ = ServeEchoAsync(peer);
        return connection;
    }

    private static async Task ServeEchoAsync(RawPeer peer)
    {
        await using (peer)
        {
            try
            {
                while (true)
                {
                    (FrameHeader header, byte[] payload) = await peer.ReadFrameAsync(TimeSpan.FromSeconds(30));
                    if (header.Kind == FrameKind.Request)
                    {
                        Assert.Equal(0, header.Flags); // version 1: never a trace block
                        await peer.SendAsync(FrameBytes.Build(FrameKind.Response, header.CorrelationId, payload));
                    }
                }
            }
            catch (Exception e) when (e is EndOfStreamException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away: the test is over.
            }
        }
    }

    private static async Task<PooledPayload> EchoOnceAsync(PeerConnection client) => await client.RequestAsync("v1"u8.ToArray());
}
