using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PeerEngine.Framing;

/// <summary>The payload of a HELLO frame: u16 protocol version, u8 id length, the node id.</summary>
public static class HelloPayload
{
    /// <summary>
    /// Parses a HELLO frame's payload, applying the spec's precedence: the version is read first (a
    /// HELLO of another version is <see cref="ErrorCode.UnsupportedVersion"/> whatever follows), then the
    /// correlation id and the exact shape of the payload.
    /// </summary>
    /// <param name="frame">A frame of kind <see cref="FrameKind.Hello"/>.</param>
    /// <param name="nodeId">The sender's node id, when valid.</param>
    /// <returns>The first rule broken, or <c>default</c>.</returns>
    public static ProtocolError Parse(in Frame frame, out string nodeId)
    {
        nodeId = string.Empty;
        ReadOnlySequence<byte> payload = frame.Payload;
        if (payload.Length < 2)
        {
            return ProtocolErrors.HelloTooShort;
        }

        // A HELLO is at most 3 + 64 bytes; anything longer is malformed once the version is known.
        Span<byte> bytes = stackalloc byte[WireProtocol.HelloPrefixSize + WireProtocol.MaxNodeIdLength];
        int length = (int)Math.Min(payload.Length, bytes.Length);
        payload.Slice(0, length).CopyTo(bytes);
        bytes = bytes[..length];

        if (BinaryPrimitives.ReadUInt16BigEndian(bytes) != WireProtocol.Version)
        {
            return ProtocolErrors.UnsupportedVersion;
        }

        if (frame.CorrelationId != 0)
        {
            return ProtocolErrors.UnexpectedId;
        }

        if (length < WireProtocol.HelloPrefixSize || payload.Length != WireProtocol.HelloPrefixSize + bytes[2])
        {
            return ProtocolErrors.HelloMalformed;
        }

        // The declared length is checked against the id rules before the id is sliced: a length of
        // 65..255 would otherwise match a payload longer than the buffer above holds.
        ReadOnlySpan<byte> id = bytes[WireProtocol.HelloPrefixSize..];
        if (bytes[2] > WireProtocol.MaxNodeIdLength || !NodeIdSyntax.IsValid(id))
        {
            return ProtocolErrors.HelloBadNodeId;
        }

        nodeId = Encoding.ASCII.GetString(id);
        return default;
    }

    /// <summary>The payload length of a HELLO carrying <paramref name="nodeId"/>.</summary>
    public static int GetLength(string nodeId) => WireProtocol.HelloPrefixSize + nodeId.Length;

    /// <summary>Writes the payload of a HELLO for <paramref name="nodeId"/>, which must be valid.</summary>
    public static void Write(Span<byte> destination, string nodeId)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, WireProtocol.Version);
        destination[2] = (byte)nodeId.Length;
        Encoding.ASCII.GetBytes(nodeId, destination[WireProtocol.HelloPrefixSize..]);
    }
}
