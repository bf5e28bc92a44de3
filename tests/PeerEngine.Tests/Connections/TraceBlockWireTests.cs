using System.Text;
using PeerEngine.Connections;
using PeerEngine.Framing;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Connections;

/// <summary>
/// The trace block of version 2 on the wire: every block that does not fit its payload is ERROR 1
/// (id 0) then the close; a block that fits but holds no valid W3C values is ignored; the handler
/// always sees the application bytes alone; TRACE anywhere but on REQUEST and MESSAGE is a violation.
/// </summary>
public sealed class TraceBlockWireTests
{
    public const string ValidParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    /// <summary>A trace block as bytes: u8 length, traceparent, u16 length, tracestate.</summary>
    public static byte[] Block(string traceParent, string traceState) =>
    [
        (byte)traceParent.Length, .. Encoding.ASCII.GetBytes(traceParent),
        (byte)(traceState.Length >> 8), (byte)traceState.Length, .. Encoding.ASCII.GetBytes(traceState),
    ];

    /// <summary>A frame with the TRACE flag whose payload is <paramref name="block"/> then <paramref name="application"/>.</summary>
    public static byte[] Traced(FrameKind kind, uint id, byte[] block, ReadOnlySpan<byte> application)
    {
        byte[] payload = [.. block, .. application];
        return FrameBytes.Build((uint)payload.Length, (byte)kind, WireProtocol.TraceFlag, id, payload);
    }

    [Fact]
    public async Task The_spec_example_is_answered_with_the_application_bytes_alone()
    {
        byte[] example = FrameBytes.Hex(
            "0000003f 02 01 00000007 37" + Convert.ToHexString(Encoding.ASCII.GetBytes(ValidParent)) + " 0000 68656c6c6f");
        Assert.Equal(Traced(FrameKind.Request, 7, Block(ValidParent, ""), "hello"u8), example);

        await using var harness = new ConnectionHarness();
        await using RawPeer peer = await Version2PeerAsync(harness);
        await peer.SendAsync(example);

        (FrameHeader response, byte[] payload) = await peer.ReadFrameAsync();
        Assert.Equal(new FrameHeader(5, FrameKind.Response, 0, 7), response);
        Assert.Equal("hello"u8.ToArray(), payload);
    }

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "TRACE with an empty payload", FrameBytes.Build(0, (byte)FrameKind.Request, WireProtocol.TraceFlag, 1, []) },
        { "a traceparent length of 0", Traced(FrameKind.Request, 1, [0, 0, 0], "x"u8) },
        { "a traceparent that runs past the end", Traced(FrameKind.Request, 1, [56, .. Encoding.ASCII.GetBytes(ValidParent)], []) },
        { "a traceparent length past the whole payload", Traced(FrameKind.Request, 1, [200, 1, 2, 3], []) },
        { "no tracestate length after the traceparent", Traced(FrameKind.Request, 1, [55, .. Encoding.ASCII.GetBytes(ValidParent)], []) },
        { "half a tracestate length", Traced(FrameKind.Request, 1, [55, .. Encoding.ASCII.GetBytes(ValidParent), 0], []) },
        { "a tracestate length of 513", Traced(FrameKind.Request, 1, [.. Block(ValidParent, ""), ..new byte[513]], "x"u8).Also(f => f[10 + 56] = 0x02, f => f[10 + 57] = 0x01) },
        { "a tracestate that runs past the end", Traced(FrameKind.Request, 1, [55, .. Encoding.ASCII.GetBytes(ValidParent), 0, 10, (byte)'k', (byte)'='], []) },
        { "a malformed block on a MESSAGE", Traced(FrameKind.Message, 0, [0], []) },
        { "TRACE on a RESPONSE", Traced(FrameKind.Response, 1, Block(ValidParent, ""), "x"u8) },
        { "TRACE on an ERROR", Traced(FrameKind.Error, 1, Block(ValidParent, ""), [0, 5]) },
        { "TRACE on a PING", FrameBytes.Build(0, (byte)FrameKind.Ping, WireProtocol.TraceFlag, 1, []) },
        { "TRACE on a PONG", FrameBytes.Build(0, (byte)FrameKind.Pong, WireProtocol.TraceFlag, 1, []) },
        { "TRACE on a GOODBYE", FrameBytes.Build(0, (byte)FrameKind.Goodbye, WireProtocol.TraceFlag, 0, []) },
        { "an unknown flag on a REQUEST", FrameBytes.Build(1, (byte)FrameKind.Request, 0x02, 1, [0]) },
        { "TRACE and an unknown flag", FrameBytes.Build(4, (byte)FrameKind.Request, 0x81, 1, [1, (byte)'a', 0, 0]) },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task A_block_that_does_not_fit_or_a_misplaced_flag_gets_error_1_then_the_close(string rule, byte[] frame)
    {
        await using var harness = new ConnectionHarness();
        var handled = 0;
        await using RawPeer peer = await Version2PeerAsync(harness, (request, _) =>
        {
            Interlocked.Increment(ref handled);
            return ValueTask.CompletedTask;
        });
        try
        {
            await peer.SendAsync(frame);
            await peer.ExpectConnectionErrorAsync(ErrorCode.ProtocolViolation);
            await peer.ExpectClosedAsync();
            Assert.Equal(0, Volatile.Read(ref handled));
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{rule}: {e.Message}", e);
        }
    }

    public static TheoryData<string, string, string> IgnoredValues => new()
    {
        { "a valid context", ValidParent, "" },
        { "a valid context and tracestate", ValidParent, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" },
        { "uppercase hex", ValidParent.ToUpperInvariant(), "" },
        { "version ff", "ff" + ValidParent[2..], "" },
        { "an all-zero trace id", "00-00000000000000000000000000000000-b7ad6b7169203331-01", "" },
        { "an all-zero span id", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", "" },
        { "version 00 with a field after", ValidParent + "-extra", "" },
        { "one byte short", ValidParent[..54], "" },
        { "no dashes", ValidParent.Replace('-', '_'), "" },
        { "garbage", "x", "" },
        { "a tracestate without '='", ValidParent, "novalue" },
        { "a tracestate with a duplicate key", ValidParent, "a=1,a=2" },
        { "a tracestate with an uppercase key", ValidParent, "Rojo=1" },
    };

    [Theory]
    [MemberData(nameof(IgnoredValues))]
    public async Task A_block_that_fits_is_cut_off_and_the_handler_sees_the_application_bytes_alone(string what, string traceParent, string traceState)
    {
        await using var harness = new ConnectionHarness();
        await using RawPeer peer = await Version2PeerAsync(harness);

        await peer.SendAsync(Traced(FrameKind.Request, 9, Block(traceParent, traceState), "app"u8));

        (FrameHeader response, byte[] payload) = await peer.ReadFrameAsync();
        Assert.True(response == new FrameHeader(3, FrameKind.Response, 0, 9), what);
        Assert.Equal("app"u8.ToArray(), payload);
    }

    [Fact]
    public async Task A_traced_request_pipelined_behind_a_version_2_hello_follows_version_2()
    {
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(Handlers.Echo);
        await using RawPeer peer = await RawPeer.ConnectAsync(listener.EndPoint);

        await peer.SendAsync([.. HelloBytes.Version2("raw"), .. Traced(FrameKind.Request, 3, Block(ValidParent, ""), "early"u8)]);

        (FrameHeader hello, _) = await peer.ReadFrameAsync();
        (FrameHeader response, byte[] payload) = await peer.ReadFrameAsync();
        Assert.Equal(FrameKind.Hello, hello.Kind);
        Assert.Equal(new FrameHeader(5, FrameKind.Response, 0, 3), response);
        Assert.Equal("early"u8.ToArray(), payload);
    }

    [Fact]
    public async Task A_traced_message_reaches_its_handler_without_the_block()
    {
        await using var harness = new ConnectionHarness();
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        PeerListener listener = harness.Listen(Handlers.Echo, (message, _) =>
        {
            received.TrySetResult(message.Payload.ToArray());
            return ValueTask.CompletedTask;
        });
        await using RawPeer peer = await RawPeer.ConnectAsync(listener.EndPoint);
        await peer.SendAsync(HelloBytes.Version2("raw"));
        await peer.ReadFrameAsync();

        await peer.SendAsync(Traced(FrameKind.Message, 0, Block(ValidParent, "k=v"), "one-way"u8));

        Assert.Equal("one-way"u8.ToArray(), await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    /// <summary>A raw peer that has completed a version-2 handshake with a listener of <paramref name="harness"/>.</summary>
    private static async Task<RawPeer> Version2PeerAsync(ConnectionHarness harness, RequestHandler? handler = null)
    {
        PeerListener listener = harness.Listen(handler ?? Handlers.Echo);
        RawPeer peer = await RawPeer.ConnectAsync(listener.EndPoint);
        await peer.SendAsync(HelloBytes.Version2("raw"));
        (FrameHeader hello, byte[] payload) = await peer.ReadFrameAsync();
        Assert.Equal(FrameKind.Hello, hello.Kind);
        Assert.Equal(2, HelloBytes.Read(payload).Version);
        return peer;
    }
}

/// <summary>Edits to a built frame, for cases easier to state as a change to a valid one.</summary>
internal static class FrameEdits
{
    public static byte[] Also(this byte[] frame, params Action<byte[]>[] edits)
    {
        foreach (Action<byte[]> edit in edits)
        {
            edit(frame);
        }

        return frame;
    }
}
