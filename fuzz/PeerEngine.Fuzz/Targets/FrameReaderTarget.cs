using System.Buffers;
using System.IO.Pipelines;

using PeerEngine.Framing;

using static PeerEngine.Fuzz.InvariantViolationException;

namespace PeerEngine.Fuzz.Targets;

/// <summary>
/// The frame reader over any segmentation. The input is a <see cref="SplitRecipe"/> of up to 8 split
/// points whose choice byte picks the maximum payload (bits 0 and 1) and the protocol version whose
/// flag rules apply (bit 2: version 2, where a REQUEST or MESSAGE may carry a trace block), and whose
/// data is the byte stream.
/// The stream is read three ways: contiguous, as a <see cref="ReadOnlySequence{T}"/> cut at the split
/// points, and through a <see cref="Pipe"/> written one piece at a time and drained the way a
/// connection's receive loop drains it. Every step checks the reader's contract, and the three
/// traces (each frame's offset, header and payload verdict, then how the stream ends) must be equal.
/// </summary>
public sealed class FrameReaderTarget : IFuzzTarget
{
    /// <summary>Small limits make FrameTooLarge reachable by short inputs; 1 MiB is the default one.</summary>
    private static readonly int[] Limits = [16, 64, 1024, WireProtocol.DefaultMaxPayloadLength];

    private const int MaxSplitPoints = 8;

    /// <inheritdoc />
    public string Name => "frames";

    /// <summary>Builds the input this target reads.</summary>
    /// <param name="limitIndex">Which maximum payload: 0 = 16, 1 = 64, 2 = 1024, 3 = 1 MiB; plus 4 for version 2.</param>
    /// <param name="stream">The bytes on the wire.</param>
    /// <param name="splitPoints">Where the stream is cut into segments (offsets into <paramref name="stream"/>).</param>
    public static byte[] Recipe(byte limitIndex, ReadOnlySpan<byte> stream, params ReadOnlySpan<ushort> splitPoints) =>
        SplitRecipe.Build(limitIndex, stream, splitPoints);

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var recipe = new SplitRecipe(input, MaxSplitPoints);
        ushort version = (recipe.Choice & 4) == 0 ? WireProtocol.Version : WireProtocol.Version2;
        var reader = new FrameReader(Limits[recipe.Choice % Limits.Length], version);
        byte[] stream = recipe.Data;

        var contiguous = new FrameTrace(reader, stream);
        contiguous.ReadAll(recipe.Contiguous);
        Check(contiguous.EndStatus == FrameReadStatus.Invalid || contiguous.EndOffset + contiguous.EndBuffered == stream.Length,
            "a contiguous read that stops incomplete stops at the end of the input");

        var segmented = new FrameTrace(reader, stream);
        segmented.ReadAll(recipe.Segmented);
        contiguous.AssertSameAs(segmented, "segmented");

        var piped = new FrameTrace(reader, stream);
        piped.ReadThroughPipe(recipe.SplitPoints);
        contiguous.AssertSameAs(piped, "piped");
    }

    /// <summary>One frame as the trace records it: where it started, its header, and what its payload parser said.</summary>
    private readonly record struct FrameEvent(long Offset, FrameHeader Header, ProtocolError PayloadError, string? Detail);

    /// <summary>The frames read from one stream and how the reading ended, checked step by step.</summary>
    private sealed class FrameTrace(FrameReader reader, byte[] stream)
    {
        private readonly List<FrameEvent> _events = [];

        /// <summary>Offset of the first unconsumed byte.</summary>
        public long EndOffset { get; private set; }

        /// <summary>Bytes buffered past <see cref="EndOffset"/> when reading stopped.</summary>
        public long EndBuffered { get; private set; }

        public FrameReadStatus EndStatus { get; private set; } = FrameReadStatus.Incomplete;

        public ProtocolError EndError { get; private set; }

        public void ReadAll(ReadOnlySequence<byte> buffer)
        {
            Check(buffer.Length == stream.Length, "the sequence holds the whole stream");
            Drain(ref buffer);
        }

        public void ReadThroughPipe(int[] splitPoints)
        {
            // Never pauses the writer, so every flush completes synchronously and one thread plays both ends.
            var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0, resumeWriterThreshold: 0, useSynchronizationContext: false));
            int start = 0;
            foreach (int end in splitPoints.Append(stream.Length))
            {
                // A socket never hands over an empty read; the sequence path covers empty segments.
                if (end == start)
                {
                    continue;
                }

                pipe.Writer.Write(stream.AsSpan(start, end - start));
                start = end;
                ValueTask<FlushResult> flush = pipe.Writer.FlushAsync();
                Check(flush.IsCompletedSuccessfully, "a flush without back-pressure completes synchronously");
                Check(pipe.Reader.TryRead(out ReadResult result), "a flushed pipe has data to read");
                ReadOnlySequence<byte> buffer = result.Buffer;
                Drain(ref buffer);
                pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
                if (EndStatus == FrameReadStatus.Invalid)
                {
                    break;
                }
            }

            pipe.Writer.Complete();
            pipe.Reader.Complete();
        }

        public void AssertSameAs(FrameTrace other, string how)
        {
            int frames = Math.Min(_events.Count, other._events.Count);
            for (int i = 0; i < frames; i++)
            {
                Check(_events[i] == other._events[i], $"frame {i} read {how} is {other._events[i]}, contiguous {_events[i]}");
            }

            Check(_events.Count == other._events.Count, $"{other._events.Count} frames read {how}, {_events.Count} contiguous");
            Check(EndStatus == other.EndStatus && EndError == other.EndError && EndOffset == other.EndOffset,
                $"reading {how} ended {other.EndStatus} ({other.EndError}) at {other.EndOffset}, contiguous {EndStatus} ({EndError}) at {EndOffset}");
        }

        /// <summary>Reads frames until the buffer holds no whole one; on return it starts at the first unconsumed byte.</summary>
        private void Drain(ref ReadOnlySequence<byte> buffer)
        {
            while (true)
            {
                long length = buffer.Length;
                SequencePosition start = buffer.Start;
                FrameReadStatus status = reader.TryRead(ref buffer, out Frame frame, out ProtocolError error);
                switch (status)
                {
                    case FrameReadStatus.Complete:
                        CheckComplete(frame, error, length, buffer.Length);
                        _events.Add(Describe(frame));
                        EndOffset += frame.Header.FrameLength;
                        continue;
                    case FrameReadStatus.Incomplete:
                        CheckIncomplete(buffer, start, length, error);
                        break;
                    case FrameReadStatus.Invalid:
                        CheckInvalid(buffer, start, length, error);
                        break;
                    default:
                        throw new InvariantViolationException($"TryRead returned {status}, which is not a FrameReadStatus");
                }

                EndStatus = status;
                EndError = error;
                EndBuffered = length;
                return;
            }
        }

        private void CheckComplete(in Frame frame, ProtocolError error, long lengthBefore, long lengthAfter)
        {
            Check(!error.IsError, "a complete frame reports no error");
            Check(EndOffset + frame.Header.FrameLength <= stream.Length, "a frame lies inside the stream");
            FrameHeader expected = FrameHeader.Read(stream.AsSpan((int)EndOffset));
            Check(frame.Header == expected, $"the header read {frame.Header} is the header at offset {EndOffset}, {expected}");
            Check(frame.Header.PayloadLength <= (uint)reader.MaxPayloadLength, "a complete frame is within the maximum payload");
            Check(!reader.Check(frame.Header).IsError, "a complete frame's header breaks no rule");
            Check(frame.Payload.Length == frame.Header.PayloadLength, "the payload is as long as the header says");
            Check(lengthAfter == lengthBefore - frame.Header.FrameLength, "the buffer is advanced past the frame, exactly");
            ReadOnlySpan<byte> expectedPayload = stream.AsSpan((int)EndOffset + WireProtocol.HeaderSize, (int)frame.Header.PayloadLength);
            Check(frame.Payload.ToArray().AsSpan().SequenceEqual(expectedPayload), "the payload holds the bytes after the header");
        }

        private void CheckIncomplete(in ReadOnlySequence<byte> buffer, SequencePosition start, long length, ProtocolError error)
        {
            Check(!error.IsError, "an incomplete read reports no error");
            Check(buffer.Start.Equals(start) && buffer.Length == length, "an incomplete read leaves the buffer unchanged");
            long needed = FrameReader.BytesStillNeeded(buffer);
            if (length < WireProtocol.HeaderSize)
            {
                Check(needed == WireProtocol.HeaderSize - length, "without a whole header, the bytes still needed are the rest of the header");
                return;
            }

            // The limits hold once the header is there: a reader never waits for the payload of a frame it must refuse.
            FrameHeader header = FrameHeader.Read(stream.AsSpan((int)EndOffset));
            Check(!reader.Check(header).IsError, $"a header that breaks a rule ({reader.Check(header)}) is refused, not waited on");
            Check(needed > 0 && needed == header.FrameLength - length, "with a whole header, the bytes still needed are exact");
            Check(needed <= WireProtocol.HeaderSize + (long)reader.MaxPayloadLength, "never waits for more than one maximal frame");
        }

        private void CheckInvalid(in ReadOnlySequence<byte> buffer, SequencePosition start, long length, ProtocolError error)
        {
            Check(error.IsError && !string.IsNullOrEmpty(error.Message), "an invalid frame reports an error with a message");
            Check(error.Code is ErrorCode.ProtocolViolation or ErrorCode.FrameTooLarge, $"the header alone decides only ProtocolViolation and FrameTooLarge, not {error.Code}");
            Check(buffer.Start.Equals(start) && buffer.Length == length, "an invalid read leaves the buffer unchanged");
            Check(length >= WireProtocol.HeaderSize, "only a whole header is judged");
            FrameHeader header = FrameHeader.Read(stream.AsSpan((int)EndOffset));
            Check(error == reader.Check(header), "the error is the header's first broken rule");
            Check((error.Code == ErrorCode.FrameTooLarge) == (header.PayloadLength > (uint)reader.MaxPayloadLength),
                "FrameTooLarge is reported exactly when the payload length exceeds the maximum");
        }

        /// <summary>Runs the payload parsers a connection runs on the frame, so their verdicts are compared across segmentations too.</summary>
        private FrameEvent Describe(in Frame frame)
        {
            switch (frame.Kind)
            {
                case FrameKind.Hello:
                    ProtocolError hello = HelloPayload.Parse(frame, out string nodeId);
                    return new FrameEvent(EndOffset, frame.Header, hello, nodeId);
                case FrameKind.Error:
                    ProtocolError parsed = ErrorPayload.Parse(frame.Payload, out ErrorCode code, out string message);
                    return new FrameEvent(EndOffset, frame.Header, parsed, $"{(ushort)code}: {message}");
                case FrameKind.Request or FrameKind.Message when (frame.Header.Flags & WireProtocol.TraceFlag) != 0:
                    ProtocolError block = TraceContextBlock.Read(frame.Payload, out ReadOnlySequence<byte> parent, out ReadOnlySequence<byte> state, out ReadOnlySequence<byte> application);
                    Check(block.IsError || TraceContextBlock.GetLength((int)parent.Length, (int)state.Length) + application.Length == frame.Payload.Length,
                        "a trace block that fits and its application bytes make up the payload");
                    Check(block.IsError || (parent.Length is >= 1 and <= TraceContextBlock.MaxTraceParentLength && state.Length <= WireProtocol.MaxTraceStateLength),
                        "an accepted trace block's values are within their limits");
                    return new FrameEvent(EndOffset, frame.Header, block, block.IsError ? null : $"{Convert.ToHexString(parent.ToArray())}/{Convert.ToHexString(state.ToArray())}");
                default:
                    return new FrameEvent(EndOffset, frame.Header, default, null);
            }
        }
    }
}
