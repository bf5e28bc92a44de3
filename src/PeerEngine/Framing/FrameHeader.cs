using System.Buffers.Binary;

namespace PeerEngine.Framing;

/// <summary>
/// The 10-byte header that precedes every payload: length, kind, flags and correlation id,
/// all unsigned and big-endian.
/// </summary>
/// <param name="PayloadLength">Bytes of payload after the header.</param>
/// <param name="Kind">The frame kind (not necessarily a defined one when read from the wire).</param>
/// <param name="Flags">Must be 0 in version 1.</param>
/// <param name="CorrelationId">Ties a RESPONSE or ERROR to its REQUEST and a PONG to its PING.</param>
public readonly record struct FrameHeader(uint PayloadLength, FrameKind Kind, byte Flags, uint CorrelationId)
{
    /// <summary>Reads a header from the first <see cref="WireProtocol.HeaderSize"/> bytes of <paramref name="source"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="source"/> is shorter than a header.</exception>
    public static FrameHeader Read(ReadOnlySpan<byte> source)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(source.Length, WireProtocol.HeaderSize, nameof(source));
        return new FrameHeader(
            BinaryPrimitives.ReadUInt32BigEndian(source),
            (FrameKind)source[4],
            source[5],
            BinaryPrimitives.ReadUInt32BigEndian(source[6..]));
    }

    /// <summary>Writes this header into the first <see cref="WireProtocol.HeaderSize"/> bytes of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="destination"/> is shorter than a header.</exception>
    public void Write(Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, WireProtocol.HeaderSize, nameof(destination));
        BinaryPrimitives.WriteUInt32BigEndian(destination, PayloadLength);
        destination[4] = (byte)Kind;
        destination[5] = Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[6..], CorrelationId);
    }

    /// <summary>The header's total frame size: header plus payload.</summary>
    public long FrameLength => WireProtocol.HeaderSize + (long)PayloadLength;
}
