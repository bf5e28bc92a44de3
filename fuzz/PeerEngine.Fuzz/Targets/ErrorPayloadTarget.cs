using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

using PeerEngine.Framing;

using static PeerEngine.Fuzz.InvariantViolationException;

namespace PeerEngine.Fuzz.Targets;

/// <summary>
/// The ERROR payload parser, and the writer on what it parsed. The input is a <see cref="SplitRecipe"/>
/// of up to 4 split points whose data is the payload; its choice byte is unused. Checks: a payload
/// is refused only for being shorter than its code or for a message that is not UTF-8; the code is
/// the first two bytes; an accepted message round-trips through the writer (cut at a character
/// boundary when it is over the writer's limit); a segmented payload, whose segments may split a
/// character, gets the verdict of the contiguous one.
/// </summary>
public sealed class ErrorPayloadTarget : IFuzzTarget
{
    private const int MaxSplitPoints = 4;

    /// <inheritdoc />
    public string Name => "error";

    /// <summary>Builds the input this target reads.</summary>
    /// <param name="payload">The ERROR payload.</param>
    /// <param name="splitPoints">Where the payload is cut into segments.</param>
    public static byte[] Recipe(ReadOnlySpan<byte> payload, params ReadOnlySpan<ushort> splitPoints) =>
        SplitRecipe.Build(0, payload, splitPoints);

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var recipe = new SplitRecipe(input, MaxSplitPoints);
        ReadOnlySpan<byte> payload = recipe.Data;

        ProtocolError error = ErrorPayload.Parse(recipe.Contiguous, out ErrorCode code, out string message);
        ProtocolError segmentedError = ErrorPayload.Parse(recipe.Segmented, out ErrorCode segmentedCode, out string segmentedMessage);
        Check(error == segmentedError && code == segmentedCode && message == segmentedMessage,
            $"a segmented ERROR reads as {segmentedError} {segmentedCode} '{segmentedMessage}', contiguous {error} {code} '{message}'");

        if (payload.Length < sizeof(ushort))
        {
            Check(error == ProtocolErrors.ErrorTooShort && message.Length == 0, $"a payload without a whole code is ErrorTooShort, not {error}");
            return;
        }

        Check(code == (ErrorCode)BinaryPrimitives.ReadUInt16BigEndian(payload), "the code is the payload's first two bytes, big-endian");
        ReadOnlySpan<byte> text = payload[sizeof(ushort)..];
        if (!Utf8.IsValid(text))
        {
            Check(error == ProtocolErrors.ErrorMessageNotUtf8 && message.Length == 0, $"a message that is not UTF-8 is ErrorMessageNotUtf8, not {error}");
            return;
        }

        Check(!error.IsError, $"a payload with a code and a UTF-8 message is accepted, not {error}");
        CheckWriterRoundTrip(code, message, text);
    }

    private static void CheckWriterRoundTrip(ErrorCode code, string message, ReadOnlySpan<byte> text)
    {
        var output = new ArrayBufferWriter<byte>();
        int frameLength = FrameWriter.WriteError(output, 7, code, message);
        ReadOnlySpan<byte> frame = output.WrittenSpan;
        Check(frameLength == frame.Length, "WriteError returns the length it wrote");
        FrameHeader header = FrameHeader.Read(frame);
        Check(header.FrameLength == frame.Length && header.Kind == FrameKind.Error, "the written header describes the written frame");

        ReadOnlySpan<byte> written = frame[(WireProtocol.HeaderSize + sizeof(ushort))..];
        if (text.Length <= ErrorPayload.MaxMessageLength)
        {
            Check(written.SequenceEqual(text), "a message within the limit is written back byte for byte");
            return;
        }

        // Over the limit the writer cuts at a character boundary: a UTF-8 prefix no more than 3 bytes short of the limit.
        Check(written.Length <= ErrorPayload.MaxMessageLength && written.Length > ErrorPayload.MaxMessageLength - 4,
            $"a long message is cut to at most {ErrorPayload.MaxMessageLength} bytes and at most one character less, not {written.Length}");
        Check(text.StartsWith(written) && Utf8.IsValid(written), "the cut message is a UTF-8 prefix of the original");
        ProtocolError reparsed = ErrorPayload.Parse(new ReadOnlySequence<byte>(frame[WireProtocol.HeaderSize..].ToArray()), out ErrorCode reparsedCode, out _);
        Check(!reparsed.IsError && reparsedCode == code, $"the cut ERROR parses again, not {reparsed}");
    }
}
