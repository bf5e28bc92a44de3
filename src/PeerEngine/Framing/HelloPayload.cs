using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PeerEngine.Framing;

/// <summary>
/// The payload of a HELLO frame: u16 protocol version, u8 id length, the node id, and in version 2
/// the u32 maximum payload the sender accepts.
/// </summary>
public static class HelloPayload
{
    /// <summary>
    /// Parses a HELLO of version 1 or 2, applying the spec's precedence: the version is read first (a
    /// HELLO of another version is <see cref="ErrorCode.UnsupportedVersion"/> whatever follows), then the
    /// correlation id and the exact shape of the payload.
    /// </summary>
    /// <param name="frame">A frame of kind <see cref="FrameKind.Hello"/>.</param>
    /// <param name="nodeId">The sender's node id, when valid.</param>
    /// <returns>The first rule broken, or <c>default</c>.</returns>
    public static ProtocolError Parse(in Frame frame, out string nodeId) =>
        Parse(frame, WireProtocol.Version2, out _, out nodeId, out _);

    /// <summary>
    /// Parses a HELLO of any version from 1 to <paramref name="highestVersion"/>, in the spec's order of
    /// precedence: version, correlation id, then the exact shape of the payload for that version.
    /// </summary>
    /// <param name="frame">A frame of kind <see cref="FrameKind.Hello"/>.</param>
    /// <param name="highestVersion">The highest version the receiver speaks (1 or 2).</param>
    /// <param name="version">The HELLO's version, when it is one the receiver speaks.</param>
    /// <param name="nodeId">The sender's node id, when valid.</param>
    /// <param name="maxPayloadLength">
    /// The largest payload the sender accepts, as a version-2 HELLO announces it (capped at
    /// <see cref="int.MaxValue"/>, beyond any payload a caller can hand over); 0 for version 1, which announces none.
    /// </param>
    /// <returns>The first rule broken, or <c>default</c>.</returns>
    public static ProtocolError Parse(in Frame frame, ushort highestVersion, out ushort version, out string nodeId, out int maxPayloadLength)
    {
        version = 0;
        nodeId = string.Empty;
        maxPayloadLength = 0;
        ReadOnlySequence<byte> payload = frame.Payload;
        if (payload.Length < 2)
        {
            return ProtocolErrors.HelloTooShort;
        }

        // A HELLO is at most 3 + 64 + 4 bytes; anything longer is malformed once the version is known.
        Span<byte> bytes = stackalloc byte[WireProtocol.HelloPrefixSize + WireProtocol.MaxNodeIdLength + WireProtocol.HelloMaxPayloadSize];
        int length = (int)Math.Min(payload.Length, bytes.Length);
        payload.Slice(0, length).CopyTo(bytes);
        bytes = bytes[..length];

        ushort received = BinaryPrimitives.ReadUInt16BigEndian(bytes);
        if (received is < WireProtocol.Version || received > highestVersion)
        {
            return highestVersion >= WireProtocol.Version2 ? ProtocolErrors.UnsupportedVersion : ProtocolErrors.UnsupportedVersion1Only;
        }

        if (frame.CorrelationId != 0)
        {
            return ProtocolErrors.UnexpectedId;
        }

        bool announcesMax = received >= WireProtocol.Version2;
        int suffix = announcesMax ? WireProtocol.HelloMaxPayloadSize : 0;
        if (length < WireProtocol.HelloPrefixSize || payload.Length != WireProtocol.HelloPrefixSize + bytes[2] + suffix)
        {
            return announcesMax ? ProtocolErrors.Hello2Malformed : ProtocolErrors.HelloMalformed;
        }

        // The declared length is checked against the id rules before the id is sliced: a length of
        // 65..255 would otherwise match a payload longer than the buffer above holds.
        int idLength = bytes[2];
        if (idLength > WireProtocol.MaxNodeIdLength || !NodeIdSyntax.IsValid(bytes.Slice(WireProtocol.HelloPrefixSize, idLength)))
        {
            return ProtocolErrors.HelloBadNodeId;
        }

        if (announcesMax)
        {
            uint announced = BinaryPrimitives.ReadUInt32BigEndian(bytes[(WireProtocol.HelloPrefixSize + idLength)..]);
            if (announced < WireProtocol.MinAnnouncedMaxPayloadLength)
            {
                return ProtocolErrors.HelloMaxPayloadTooSmall;
            }

            maxPayloadLength = (int)Math.Min(announced, int.MaxValue);
        }

        version = received;
        nodeId = Encoding.ASCII.GetString(bytes.Slice(WireProtocol.HelloPrefixSize, idLength));
        return default;
    }

    /// <summary>The payload length of a version-1 HELLO carrying <paramref name="nodeId"/>.</summary>
    public static int GetLength(string nodeId) => GetLength(nodeId, WireProtocol.Version);

    /// <summary>The payload length of a HELLO of <paramref name="version"/> carrying <paramref name="nodeId"/>.</summary>
    public static int GetLength(string nodeId, ushort version)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        return WireProtocol.HelloPrefixSize + nodeId.Length + (version >= WireProtocol.Version2 ? WireProtocol.HelloMaxPayloadSize : 0);
    }

    /// <summary>Writes the payload of a version-1 HELLO for <paramref name="nodeId"/>, which must be valid.</summary>
    public static void Write(Span<byte> destination, string nodeId) =>
        Write(destination, nodeId, WireProtocol.Version, 0);

    /// <summary>
    /// Writes the payload of a HELLO of <paramref name="version"/> for <paramref name="nodeId"/>, which
    /// must be valid; from version 2 on it announces <paramref name="maxPayloadLength"/>.
    /// </summary>
    public static void Write(Span<byte> destination, string nodeId, ushort version, int maxPayloadLength)
    {
        ArgumentNullException.ThrowIfNull(nodeId);
        BinaryPrimitives.WriteUInt16BigEndian(destination, version);
        destination[2] = (byte)nodeId.Length;
        Encoding.ASCII.GetBytes(nodeId, destination[WireProtocol.HelloPrefixSize..]);
        if (version >= WireProtocol.Version2)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(maxPayloadLength, WireProtocol.MinAnnouncedMaxPayloadLength);
            BinaryPrimitives.WriteUInt32BigEndian(destination[(WireProtocol.HelloPrefixSize + nodeId.Length)..], (uint)maxPayloadLength);
        }
    }
}
