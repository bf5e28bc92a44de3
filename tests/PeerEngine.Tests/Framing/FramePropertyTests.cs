using System.Buffers;
using CsCheck;
using PeerEngine.Framing;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Framing;

/// <summary>Round trips over random frames and random cuts: decode(split(encode(frames))) == frames.</summary>
public sealed class FramePropertyTests
{
    private static readonly Gen<(FrameKind Kind, uint Id, byte[] Payload)> ValidFrame =
        Gen.OneOf(
            Gen.Select(Gen.UInt[1, uint.MaxValue], Gen.Byte.Array[0, 2000], (id, p) => (FrameKind.Request, id, p)),
            Gen.Select(Gen.UInt, Gen.Byte.Array[0, 2000], (id, p) => (FrameKind.Response, id, p)),
            Gen.Select(Gen.Byte.Array[0, 2000], p => (FrameKind.Message, 0u, p)),
            Gen.Select(Gen.UInt, Gen.Byte.Array[0, 64], (id, p) => (FrameKind.Ping, id, p)),
            Gen.Select(Gen.UInt, Gen.Byte.Array[0, 64], (id, p) => (FrameKind.Pong, id, p)),
            Gen.Select(Gen.UInt, Gen.Byte.Array[2, 300], (id, p) => (FrameKind.Error, id, p)),
            Gen.Const((FrameKind.Goodbye, 0u, Array.Empty<byte>())));

    [Fact]
    public void Random_frames_cut_at_random_offsets_read_back_as_written()
    {
        Gen.Select(ValidFrame.List[1, 8], Gen.Int[0, 10], Gen.Bool)
            .Sample((frames, cuts, asSequence) =>
            {
                var writer = new ArrayBufferWriter<byte>();
                foreach ((FrameKind kind, uint id, byte[] payload) in frames)
                {
                    if (asSequence)
                    {
                        FrameWriter.Write(writer, kind, id, SegmentedSequence.Split(payload, payload.Length / 2));
                    }
                    else
                    {
                        FrameWriter.Write(writer, kind, id, payload);
                    }
                }

                byte[] bytes = writer.WrittenSpan.ToArray();
                int[] offsets = RandomOffsets(bytes.Length, cuts, seed: bytes.Length * 31 + cuts);
                ReadOnlySequence<byte> buffer = SegmentedSequence.Split(bytes, offsets);
                var reader = new FrameReader(WireProtocol.DefaultMaxPayloadLength);

                foreach ((FrameKind kind, uint id, byte[] payload) in frames)
                {
                    if (reader.TryRead(ref buffer, out Frame frame, out ProtocolError error) != FrameReadStatus.Complete)
                    {
                        return false;
                    }

                    if (frame.Header != new FrameHeader((uint)payload.Length, kind, 0, id) || !frame.Payload.ToArray().AsSpan().SequenceEqual(payload))
                    {
                        return false;
                    }
                }

                return buffer.IsEmpty;
            }, iter: 2000);
    }

    [Fact]
    public void Random_bytes_never_throw_and_never_claim_more_than_they_hold()
    {
        Gen.Select(Gen.Byte.Array[0, 200], Gen.Int[0, 5]).Sample((bytes, cuts) =>
        {
            ReadOnlySequence<byte> buffer = SegmentedSequence.Split(bytes, RandomOffsets(bytes.Length, cuts, seed: cuts));
            var reader = new FrameReader(128);
            long before = buffer.Length;
            FrameReadStatus status;
            while ((status = reader.TryRead(ref buffer, out Frame frame, out ProtocolError error)) == FrameReadStatus.Complete)
            {
                if (frame.Payload.Length > 128 || buffer.Length >= before)
                {
                    return false;
                }

                before = buffer.Length;
            }

            return status == FrameReadStatus.Incomplete || reader.Check(FrameHeader.Read(buffer.FirstSpan.Length >= 10 ? buffer.FirstSpan : buffer.ToArray())).IsError;
        }, iter: 5000);
    }

    private static int[] RandomOffsets(int length, int count, int seed)
    {
        if (length < 2)
        {
            return [];
        }

        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(1, length)).Distinct().Order().ToArray();
    }
}
