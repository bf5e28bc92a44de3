using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace PeerEngine.Framing;

/// <summary>The payload of an ERROR frame: u16 error code, then a UTF-8 message (the rest of the payload).</summary>
public static class ErrorPayload
{
    /// <summary>
    /// The longest message this engine sends, in UTF-8 bytes. Longer messages are cut at a character
    /// boundary, so an ERROR stays small whatever caused it.
    /// </summary>
    public const int MaxMessageLength = 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses an ERROR frame's payload.</summary>
    /// <param name="payload">The payload of a frame of kind <see cref="FrameKind.Error"/>.</param>
    /// <param name="code">The error code; a code this version does not define is passed through as is.</param>
    /// <param name="message">The message.</param>
    /// <returns>The rule broken (too short, message not UTF-8), or <c>default</c>.</returns>
    public static ProtocolError Parse(in ReadOnlySequence<byte> payload, out ErrorCode code, out string message)
    {
        code = default;
        message = string.Empty;
        if (payload.Length < WireProtocol.ErrorCodeSize)
        {
            return ProtocolErrors.ErrorTooShort;
        }

        Span<byte> codeBytes = stackalloc byte[WireProtocol.ErrorCodeSize];
        payload.Slice(0, WireProtocol.ErrorCodeSize).CopyTo(codeBytes);
        code = (ErrorCode)BinaryPrimitives.ReadUInt16BigEndian(codeBytes);

        try
        {
            message = StrictUtf8.GetString(payload.Slice(WireProtocol.ErrorCodeSize));
        }
        catch (DecoderFallbackException)
        {
            return ProtocolErrors.ErrorMessageNotUtf8;
        }

        return default;
    }

    /// <summary>The payload length of an ERROR carrying <paramref name="message"/>, after truncation.</summary>
    public static int GetLength(string message) =>
        WireProtocol.ErrorCodeSize + Math.Min(Encoding.UTF8.GetByteCount(message), MaxMessageLength);

    /// <summary>Writes an ERROR payload; <paramref name="destination"/> holds <see cref="GetLength"/> bytes.</summary>
    /// <returns>The bytes written.</returns>
    public static int Write(Span<byte> destination, ErrorCode code, string message)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)code);
        Span<byte> text = destination[WireProtocol.ErrorCodeSize..];
        if (text.Length > MaxMessageLength)
        {
            text = text[..MaxMessageLength];
        }

        // Stops before a character that does not fit whole: the cut message stays valid UTF-8.
        Utf8.FromUtf16(message, text, out _, out int written, replaceInvalidSequences: true, isFinalBlock: true);
        return WireProtocol.ErrorCodeSize + written;
    }
}
