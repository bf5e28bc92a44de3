using System.Buffers;
using System.Text;
using PeerEngine.Framing;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Framing;

/// <summary>The byte examples of wire-protocol-v1.md, in both directions.</summary>
public sealed class SpecExampleTests
{
    private const string RequestExample = "00 00 00 05  02  00  00 00 00 07  68 65 6c 6c 6f";
    private const string HelloExample = "00 00 00 05  01  00  00 00 00 00  00 01  02  70 33";

    [Fact]
    public void Writing_the_request_example_gives_the_spec_bytes()
    {
        byte[] written = FrameBytes.Written(w => FrameWriter.Write(w, FrameKind.Request, 7, "hello"u8));

        Assert.Equal(FrameBytes.Hex(RequestExample), written);
    }

    [Fact]
    public void Reading_the_request_example_gives_request_7_with_hello()
    {
        var buffer = new ReadOnlySequence<byte>(FrameBytes.Hex(RequestExample));

        FrameReadStatus status = new FrameReader(WireProtocol.DefaultMaxPayloadLength).TryRead(ref buffer, out Frame frame, out _);

        Assert.Equal(FrameReadStatus.Complete, status);
        Assert.Equal(new FrameHeader(5, FrameKind.Request, 0, 7), frame.Header);
        Assert.Equal("hello", Encoding.ASCII.GetString(frame.Payload));
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Writing_the_hello_example_gives_the_spec_bytes()
    {
        byte[] written = FrameBytes.Written(w => FrameWriter.WriteHello(w, "p3"));

        Assert.Equal(FrameBytes.Hex(HelloExample), written);
    }

    [Fact]
    public void Reading_the_hello_example_gives_version_1_and_node_p3()
    {
        var buffer = new ReadOnlySequence<byte>(FrameBytes.Hex(HelloExample));

        Assert.Equal(FrameReadStatus.Complete, new FrameReader(64).TryRead(ref buffer, out Frame frame, out _));
        ProtocolError error = HelloPayload.Parse(frame, out string nodeId);

        Assert.False(error.IsError, error.ToString());
        Assert.Equal("p3", nodeId);
    }

    [Theory]
    [InlineData(FrameKind.Hello, 0x01)]
    [InlineData(FrameKind.Request, 0x02)]
    [InlineData(FrameKind.Response, 0x03)]
    [InlineData(FrameKind.Error, 0x04)]
    [InlineData(FrameKind.Message, 0x05)]
    [InlineData(FrameKind.Ping, 0x06)]
    [InlineData(FrameKind.Pong, 0x07)]
    [InlineData(FrameKind.Goodbye, 0x08)]
    public void Kinds_have_the_spec_values(FrameKind kind, byte value) => Assert.Equal(value, (byte)kind);

    [Theory]
    [InlineData(ErrorCode.ProtocolViolation, 1, true)]
    [InlineData(ErrorCode.FrameTooLarge, 2, true)]
    [InlineData(ErrorCode.UnsupportedVersion, 3, true)]
    [InlineData(ErrorCode.NoHandler, 4, false)]
    [InlineData(ErrorCode.HandlerFailed, 5, false)]
    [InlineData(ErrorCode.Overloaded, 6, false)]
    [InlineData(ErrorCode.ShuttingDown, 7, false)]
    [InlineData(ErrorCode.HandshakeTimeout, 8, true)]
    public void Error_codes_have_the_spec_values_and_closing_rules(ErrorCode code, ushort value, bool closes)
    {
        Assert.Equal(value, (ushort)code);
        Assert.Equal(closes, WireProtocol.ClosesConnection(code));
    }

    [Fact]
    public void An_error_frame_carries_code_then_utf8_message()
    {
        byte[] written = FrameBytes.Written(w => FrameWriter.WriteError(w, 9, ErrorCode.NoHandler, "né"));

        Assert.Equal(FrameBytes.Hex("00 00 00 05  04  00  00 00 00 09  00 04  6e c3 a9"), written);
    }
}
