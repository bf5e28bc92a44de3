using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PeerEngine.Framing;

/// <summary>
/// The trace block at the start of a version-2 REQUEST or MESSAGE whose TRACE flag is set: u8
/// traceparent length (1 to 255), the W3C <c>traceparent</c>, u16 tracestate length (0 to 512), the
/// W3C <c>tracestate</c>; the application bytes follow. Bytes only: whether the values are valid W3C
/// values is the reader's business, and an invalid one only means "no trace context".
/// </summary>
public static class TraceContextBlock
{
    /// <summary>The longest <c>traceparent</c> a block can carry, in bytes.</summary>
    public const int MaxTraceParentLength = 255;

    private const int TraceParentLengthSize = 1;
    private const int TraceStateLengthSize = 2;

    /// <summary>
    /// Splits the payload of a frame with the TRACE flag into its trace block and its application bytes,
    /// as slices of <paramref name="payload"/> (nothing is copied).
    /// </summary>
    /// <returns>
    /// <see cref="ErrorCode.ProtocolViolation"/> when the block does not fit the payload (a length that
    /// runs past its end, a traceparent length of 0, a tracestate length over 512); otherwise <c>default</c>.
    /// </returns>
    public static ProtocolError Read(
        in ReadOnlySequence<byte> payload,
        out ReadOnlySequence<byte> traceParent,
        out ReadOnlySequence<byte> traceState,
        out ReadOnlySequence<byte> application)
    {
        traceParent = default;
        traceState = default;
        application = default;
        var reader = new SequenceReader<byte>(payload);
        if (!reader.TryRead(out byte parentLength) || parentLength == 0 || reader.Remaining < parentLength + TraceStateLengthSize)
        {
            return ProtocolErrors.TraceBlockMalformed;
        }

        reader.Advance(parentLength);
        reader.TryReadBigEndian(out short signedStateLength);
        int stateLength = (ushort)signedStateLength;
        if (stateLength > WireProtocol.MaxTraceStateLength || reader.Remaining < stateLength)
        {
            return ProtocolErrors.TraceBlockMalformed;
        }

        traceParent = payload.Slice(TraceParentLengthSize, parentLength);
        traceState = payload.Slice(TraceParentLengthSize + parentLength + TraceStateLengthSize, stateLength);
        application = payload.Slice(GetLength(parentLength, stateLength));
        return default;
    }

    /// <summary>The length of a block carrying values of these lengths, in bytes.</summary>
    public static int GetLength(int traceParentLength, int traceStateLength) =>
        TraceParentLengthSize + traceParentLength + TraceStateLengthSize + traceStateLength;

    /// <summary>Writes a block; both values must be ASCII, within their length limits.</summary>
    /// <returns>The bytes written.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value is empty (the traceparent) or too long.</exception>
    public static int Write(Span<byte> destination, ReadOnlySpan<char> traceParent, ReadOnlySpan<char> traceState)
    {
        ArgumentOutOfRangeException.ThrowIfZero(traceParent.Length, nameof(traceParent));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(traceParent.Length, MaxTraceParentLength, nameof(traceParent));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(traceState.Length, WireProtocol.MaxTraceStateLength, nameof(traceState));
        destination[0] = (byte)traceParent.Length;
        int at = TraceParentLengthSize + Encoding.ASCII.GetBytes(traceParent, destination[TraceParentLengthSize..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], (ushort)traceState.Length);
        at += TraceStateLengthSize;
        return at + Encoding.ASCII.GetBytes(traceState, destination[at..]);
    }
}
