using System.Buffers;
using System.IO.Pipelines;
using PeerEngine.Framing;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Framing;

public sealed class FrameReaderTests
{
    private static readonly FrameReader Reader = new(WireProtocol.DefaultMaxPayloadLength);

    public static TheoryData<int> PayloadLengths => new() { 0, 1, 9, 10, 64, 300 };

    [Theory]
    [MemberData(nameof(PayloadLengths))]
    public void A_frame_split_at_every_offset_reads_whole(int payloadLength)
    {
        byte[] payload = Enumerable.Range(0, payloadLength).Select(i => (byte)(i * 7)).ToArray();
        byte[] bytes = FrameBytes.Build(FrameKind.Response, 0xDEADBEEF, payload);

        for (int split = 1; split < bytes.Length; split++)
        {
            ReadOnlySequence<byte> buffer = SegmentedSequence.Split(bytes, split);

            Assert.Equal(FrameReadStatus.Complete, Reader.TryRead(ref buffer, out Frame frame, out _));
            Assert.Equal(new FrameHeader((uint)payloadLength, FrameKind.Response, 0, 0xDEADBEEF), frame.Header);
            Assert.Equal(payload, frame.Payload.ToArray());
            Assert.True(buffer.IsEmpty);
        }
    }

    [Theory]
    [MemberData(nameof(PayloadLengths))]
    public void A_frame_split_at_every_pair_of_offsets_reads_whole(int payloadLength)
    {
        byte[] payload = Enumerable.Range(0, payloadLength).Select(i => (byte)(i + 1)).ToArray();
        byte[] bytes = FrameBytes.Build(FrameKind.Message, 0, payload);

        for (int first = 1; first < bytes.Length; first++)
        {
            for (int second = first + 1; second < bytes.Length; second++)
            {
                ReadOnlySequence<byte> buffer = SegmentedSequence.Split(bytes, first, second);

                Assert.Equal(FrameReadStatus.Complete, Reader.TryRead(ref buffer, out Frame frame, out _));
                Assert.Equal(payload, frame.Payload.ToArray());
            }
        }
    }

    [Theory]
    [MemberData(nameof(PayloadLengths))]
    public void A_frame_with_one_byte_per_segment_reads_whole(int payloadLength)
    {
        byte[] payload = Enumerable.Range(0, payloadLength).Select(i => (byte)(255 - i)).ToArray();
        ReadOnlySequence<byte> buffer = SegmentedSequence.OneBytePerSegment(FrameBytes.Build(FrameKind.Request, 42, payload));

        Assert.Equal(FrameReadStatus.Complete, Reader.TryRead(ref buffer, out Frame frame, out _));
        Assert.Equal(42u, frame.CorrelationId);
        Assert.Equal(payload, frame.Payload.ToArray());
    }

    [Theory]
    [MemberData(nameof(PayloadLengths))]
    public void Every_proper_prefix_is_incomplete_and_leaves_the_buffer_alone(int payloadLength)
    {
        byte[] bytes = FrameBytes.Build(FrameKind.Request, 1, new byte[payloadLength]);

        for (int length = 0; length < bytes.Length; length++)
        {
            ReadOnlySequence<byte> buffer = SegmentedSequence.OneBytePerSegment(bytes[..length]);
            SequencePosition start = buffer.Start;

            Assert.Equal(FrameReadStatus.Incomplete, Reader.TryRead(ref buffer, out _, out ProtocolError error));
            Assert.False(error.IsError);
            Assert.Equal(start, buffer.Start);
            long expectedNeed = length < WireProtocol.HeaderSize ? WireProtocol.HeaderSize - length : bytes.Length - length;
            Assert.Equal(expectedNeed, FrameReader.BytesStillNeeded(buffer));
        }
    }

    [Fact]
    public void Back_to_back_frames_are_read_one_after_another_and_the_tail_is_left()
    {
        byte[] bytes =
        [
            .. FrameBytes.Build(FrameKind.Request, 1, "a"u8),
            .. FrameBytes.Build(FrameKind.Ping, 2, ""u8),
            .. FrameBytes.Build(FrameKind.Message, 0, "ccc"u8),
            .. FrameBytes.Build(FrameKind.Response, 3, "dd"u8)[..11],
        ];
        ReadOnlySequence<byte> buffer = SegmentedSequence.Split(bytes, 5, 17, 30);
        var kinds = new List<FrameKind>();

        while (Reader.TryRead(ref buffer, out Frame frame, out _) == FrameReadStatus.Complete)
        {
            kinds.Add(frame.Kind);
        }

        Assert.Equal([FrameKind.Request, FrameKind.Ping, FrameKind.Message], kinds);
        Assert.Equal(11, buffer.Length);
        Assert.Equal(1, FrameReader.BytesStillNeeded(buffer));
    }

    [Fact]
    public async Task Over_a_pipe_the_reader_consumes_whole_frames_and_waits_for_the_rest()
    {
        var pipe = new Pipe();
        byte[] frame = FrameBytes.Build(FrameKind.Request, 9, "payload"u8);
        await pipe.Writer.WriteAsync(frame.AsMemory(0, 13));

        ReadResult first = await pipe.Reader.ReadAsync();
        ReadOnlySequence<byte> buffer = first.Buffer;
        Assert.Equal(FrameReadStatus.Incomplete, Reader.TryRead(ref buffer, out _, out _));
        pipe.Reader.AdvanceTo(buffer.Start, buffer.End);

        // Having examined everything, the next read must wait for new bytes rather than spin.
        Assert.False(pipe.Reader.TryRead(out _));
        await pipe.Writer.WriteAsync(frame.AsMemory(13));

        ReadResult second = await pipe.Reader.ReadAsync();
        buffer = second.Buffer;
        Assert.Equal(FrameReadStatus.Complete, Reader.TryRead(ref buffer, out Frame read, out _));
        Assert.Equal("payload"u8.ToArray(), read.Payload.ToArray());
        pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
        Assert.False(pipe.Reader.TryRead(out _));
    }

    [Fact]
    public void A_length_over_the_maximum_is_refused_from_the_header_alone()
    {
        var reader = new FrameReader(1000);
        ReadOnlySequence<byte> buffer = new(FrameBytes.Build(1001, (byte)FrameKind.Request, 0, 1, []));

        Assert.Equal(FrameReadStatus.Invalid, reader.TryRead(ref buffer, out _, out ProtocolError error));
        Assert.Equal(ErrorCode.FrameTooLarge, error.Code);
        Assert.Contains("MaxPayloadLength", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_length_of_four_gigabytes_is_refused_without_waiting_for_it()
    {
        ReadOnlySequence<byte> buffer = new(FrameBytes.Build(uint.MaxValue, (byte)FrameKind.Message, 0, 0, []));

        Assert.Equal(FrameReadStatus.Invalid, Reader.TryRead(ref buffer, out _, out ProtocolError error));
        Assert.Equal(ErrorCode.FrameTooLarge, error.Code);
    }

    [Fact]
    public void A_length_equal_to_the_maximum_is_accepted()
    {
        var reader = new FrameReader(100);
        ReadOnlySequence<byte> buffer = new(FrameBytes.Build(FrameKind.Request, 1, new byte[100]));

        Assert.Equal(FrameReadStatus.Complete, reader.TryRead(ref buffer, out Frame frame, out _));
        Assert.Equal(100, frame.Payload.Length);
    }

    public static TheoryData<byte[], ErrorCode> BadHeaders => new()
    {
        { FrameBytes.Build(0, 0x00, 0, 0, []), ErrorCode.ProtocolViolation },
        { FrameBytes.Build(0, 0x09, 0, 0, []), ErrorCode.ProtocolViolation },
        { FrameBytes.Build(0, 0xFF, 0, 0, []), ErrorCode.ProtocolViolation },
        { FrameBytes.Build(0, (byte)FrameKind.Request, 1, 5, []), ErrorCode.ProtocolViolation },
        { FrameBytes.Build(0, (byte)FrameKind.Ping, 0x80, 5, []), ErrorCode.ProtocolViolation },
        { FrameBytes.Build(0, (byte)FrameKind.Request, 0, 0, []), ErrorCode.ProtocolViolation },
        { FrameBytes.Build(65, (byte)FrameKind.Ping, 0, 1, new byte[65]), ErrorCode.ProtocolViolation },
        { FrameBytes.Build(65, (byte)FrameKind.Pong, 0, 1, new byte[65]), ErrorCode.ProtocolViolation },
        { FrameBytes.Build(0, (byte)FrameKind.Message, 0, 3, []), ErrorCode.ProtocolViolation },
        { FrameBytes.Build(0, (byte)FrameKind.Goodbye, 0, 3, []), ErrorCode.ProtocolViolation },
        { FrameBytes.Build(1, (byte)FrameKind.Goodbye, 0, 0, [0]), ErrorCode.ProtocolViolation },
        { FrameBytes.Build(1, (byte)FrameKind.Error, 0, 0, [0]), ErrorCode.ProtocolViolation },
        // Oversized wins over every other rule the same header breaks (rule 4's precedence).
        { FrameBytes.Build(2_000_000, 0x09, 1, 0, []), ErrorCode.FrameTooLarge },
        { FrameBytes.Build(2_000_000, (byte)FrameKind.Request, 0, 0, []), ErrorCode.FrameTooLarge },
    };

    [Theory]
    [MemberData(nameof(BadHeaders))]
    public void A_header_that_breaks_a_rule_is_invalid_with_the_spec_code(byte[] bytes, ErrorCode expected)
    {
        // Only the header is given: every one of these rules is decided before the payload arrives.
        var buffer = new ReadOnlySequence<byte>(bytes[..WireProtocol.HeaderSize]);

        Assert.Equal(FrameReadStatus.Invalid, Reader.TryRead(ref buffer, out _, out ProtocolError error));
        Assert.Equal(expected, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.Equal(WireProtocol.HeaderSize, buffer.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(64)]
    public void Ping_and_pong_up_to_64_bytes_are_valid(int length)
    {
        byte[] bytes = [.. FrameBytes.Build(FrameKind.Ping, 1, new byte[length]), .. FrameBytes.Build(FrameKind.Pong, 1, new byte[length])];
        var buffer = new ReadOnlySequence<byte>(bytes);

        Assert.Equal(FrameReadStatus.Complete, Reader.TryRead(ref buffer, out _, out _));
        Assert.Equal(FrameReadStatus.Complete, Reader.TryRead(ref buffer, out _, out _));
    }

    [Fact]
    public void A_hello_with_a_nonzero_id_passes_the_header_check_so_its_version_can_rank_first()
    {
        var buffer = new ReadOnlySequence<byte>(FrameBytes.Build(FrameKind.Hello, 5, [0, 3, 1, (byte)'a']));

        Assert.Equal(FrameReadStatus.Complete, Reader.TryRead(ref buffer, out Frame frame, out _));
        Assert.Equal(ErrorCode.UnsupportedVersion, HelloPayload.Parse(frame, out _).Code);
    }

    [Fact]
    public void The_maximum_must_be_positive() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameReader(0));
}
