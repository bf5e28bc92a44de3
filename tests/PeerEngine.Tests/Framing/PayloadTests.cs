using System.Buffers;
using System.Text;
using PeerEngine.Framing;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Framing;

/// <summary>The HELLO and ERROR payload rules.</summary>
public sealed class PayloadTests
{
    private static Frame Hello(uint correlationId, params byte[] payload) =>
        new(new FrameHeader((uint)payload.Length, FrameKind.Hello, 0, correlationId), new ReadOnlySequence<byte>(payload));

    private static byte[] HelloPayloadOf(ushort version, string id, int? declaredLength = null) =>
        [(byte)(version >> 8), (byte)version, (byte)(declaredLength ?? id.Length), .. Encoding.ASCII.GetBytes(id)];

    public static TheoryData<string> ValidIds => new() { "a", "p3", "node-1.eu_west", new string('z', 64), "A.B_C-D.0123456789" };

    [Theory]
    [MemberData(nameof(ValidIds))]
    public void A_valid_hello_round_trips_its_node_id(string id)
    {
        byte[] bytes = FrameBytes.Written(w => FrameWriter.WriteHello(w, id));
        var buffer = new ReadOnlySequence<byte>(bytes);
        new FrameReader(100).TryRead(ref buffer, out Frame frame, out _);

        Assert.False(HelloPayload.Parse(frame, out string parsed).IsError);
        Assert.Equal(id, parsed);
    }

    public static TheoryData<byte[], uint, ErrorCode> BadHellos => new()
    {
        { [], 0, ErrorCode.ProtocolViolation },
        { [0], 0, ErrorCode.ProtocolViolation },
        { [0, 1], 0, ErrorCode.ProtocolViolation },
        { HelloPayloadOf(1, "p3", declaredLength: 3), 0, ErrorCode.ProtocolViolation },
        { HelloPayloadOf(1, "p3", declaredLength: 1), 0, ErrorCode.ProtocolViolation },
        { [.. HelloPayloadOf(1, "p3"), 0], 0, ErrorCode.ProtocolViolation },
        { HelloPayloadOf(1, ""), 0, ErrorCode.ProtocolViolation },
        { HelloPayloadOf(1, new string('a', 65)), 0, ErrorCode.ProtocolViolation },
        { HelloPayloadOf(1, "bad id"), 0, ErrorCode.ProtocolViolation },
        { HelloPayloadOf(1, "sl/ash"), 0, ErrorCode.ProtocolViolation },
        { [0, 1, 2, (byte)'p', 0xC3], 0, ErrorCode.ProtocolViolation },
        { HelloPayloadOf(1, "p3"), 7, ErrorCode.ProtocolViolation },
        // The version is read first: another version is ERROR 3 whatever follows it.
        { HelloPayloadOf(3, "p3"), 0, ErrorCode.UnsupportedVersion },
        { HelloPayloadOf(0, "p3"), 0, ErrorCode.UnsupportedVersion },
        { [0, 3], 0, ErrorCode.UnsupportedVersion },
        { [0xFF, 0xFF, 200, 1, 2, 3], 0, ErrorCode.UnsupportedVersion },
        { HelloPayloadOf(3, "p3"), 7, ErrorCode.UnsupportedVersion },
        { [0, 3, .. new byte[500]], 0, ErrorCode.UnsupportedVersion },
    };

    [Theory]
    [MemberData(nameof(BadHellos))]
    public void A_bad_hello_gets_the_spec_error(byte[] payload, uint correlationId, ErrorCode expected)
    {
        ProtocolError error = HelloPayload.Parse(Hello(correlationId, payload), out string nodeId);

        Assert.Equal(expected, error.Code);
        Assert.Equal(string.Empty, nodeId);
    }

    [Fact]
    public void A_hello_split_across_segments_parses()
    {
        byte[] payload = HelloPayloadOf(1, "node-42");
        var frame = new Frame(new FrameHeader((uint)payload.Length, FrameKind.Hello, 0, 0), SegmentedSequence.OneBytePerSegment(payload));

        Assert.False(HelloPayload.Parse(frame, out string nodeId).IsError);
        Assert.Equal("node-42", nodeId);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("ü")]
    public void Writing_a_hello_with_an_invalid_id_throws(string id) =>
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteHello(new ArrayBufferWriter<byte>(), id));

    [Fact]
    public void An_error_payload_round_trips_code_and_message()
    {
        byte[] bytes = FrameBytes.Written(w => FrameWriter.WriteError(w, 12, ErrorCode.Overloaded, "busy: ünïcødé ✓"));
        ReadOnlySequence<byte> buffer = SegmentedSequence.OneBytePerSegment(bytes);
        new FrameReader(100).TryRead(ref buffer, out Frame frame, out _);

        Assert.False(ErrorPayload.Parse(frame.Payload, out ErrorCode code, out string message).IsError);
        Assert.Equal(12u, frame.CorrelationId);
        Assert.Equal(ErrorCode.Overloaded, code);
        Assert.Equal("busy: ünïcødé ✓", message);
    }

    [Fact]
    public void An_error_with_an_empty_message_is_valid()
    {
        Assert.False(ErrorPayload.Parse(new ReadOnlySequence<byte>([0, 5]), out ErrorCode code, out string message).IsError);
        Assert.Equal(ErrorCode.HandlerFailed, code);
        Assert.Empty(message);
    }

    [Fact]
    public void An_error_code_this_version_does_not_know_is_passed_through()
    {
        Assert.False(ErrorPayload.Parse(new ReadOnlySequence<byte>([0x12, 0x34]), out ErrorCode code, out _).IsError);
        Assert.Equal((ErrorCode)0x1234, code);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 4 })]
    [InlineData(new byte[] { 0, 4, 0xC3 })]
    [InlineData(new byte[] { 0, 4, 0xFF, 0xFE })]
    public void A_malformed_error_payload_is_a_protocol_violation(byte[] payload) =>
        Assert.Equal(ErrorCode.ProtocolViolation, ErrorPayload.Parse(new ReadOnlySequence<byte>(payload), out _, out _).Code);

    [Fact]
    public void A_long_error_message_is_cut_at_a_character_boundary_and_stays_valid_utf8()
    {
        string message = string.Concat(Enumerable.Repeat("€", 1000));
        byte[] bytes = FrameBytes.Written(w => FrameWriter.WriteError(w, 0, ErrorCode.ProtocolViolation, message));
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.Equal(FrameReadStatus.Complete, new FrameReader(4096).TryRead(ref buffer, out Frame frame, out _));
        Assert.False(ErrorPayload.Parse(frame.Payload, out _, out string parsed).IsError);
        Assert.True(frame.Payload.Length <= 2 + ErrorPayload.MaxMessageLength);
        Assert.Equal(341, parsed.Length);
        Assert.StartsWith(parsed, message, StringComparison.Ordinal);
    }
}
