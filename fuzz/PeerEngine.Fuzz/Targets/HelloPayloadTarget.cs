using System.Buffers;
using System.Buffers.Binary;

using PeerEngine.Framing;

using static PeerEngine.Fuzz.InvariantViolationException;

namespace PeerEngine.Fuzz.Targets;

/// <summary>
/// The HELLO payload parser, versions 1 and 2. The input is a <see cref="SplitRecipe"/> of up to 4
/// split points whose choice byte sets the frame's correlation id (bit 0: 0 or not) and the highest
/// version the receiver speaks (bit 1: 1, otherwise 2), and whose data is the payload.
/// Checks: the verdict is one of the HELLO rules, the version outranks every other rule, an accepted
/// HELLO carries a valid id (and from version 2 a maximum of at least 1,024) and is exactly what the
/// writer makes of it, and a segmented payload gets the verdict of the contiguous one.
/// </summary>
public sealed class HelloPayloadTarget : IFuzzTarget
{
    private const int MaxSplitPoints = 4;

    private static readonly ProtocolError[] HelloErrors =
    [
        ProtocolErrors.HelloTooShort,
        ProtocolErrors.UnsupportedVersion,
        ProtocolErrors.UnsupportedVersion1Only,
        ProtocolErrors.UnexpectedId,
        ProtocolErrors.HelloMalformed,
        ProtocolErrors.Hello2Malformed,
        ProtocolErrors.HelloMaxPayloadTooSmall,
        ProtocolErrors.HelloBadNodeId,
    ];

    /// <inheritdoc />
    public string Name => "hello";

    /// <summary>Builds the input this target reads.</summary>
    /// <param name="correlationId">Whether the frame carries a (forbidden) non-zero correlation id.</param>
    /// <param name="payload">The HELLO payload.</param>
    /// <param name="splitPoints">Where the payload is cut into segments.</param>
    public static byte[] Recipe(bool correlationId, ReadOnlySpan<byte> payload, params ReadOnlySpan<ushort> splitPoints) =>
        SplitRecipe.Build(correlationId ? (byte)1 : (byte)0, payload, splitPoints);

    /// <summary>Builds an input read by a receiver that speaks version 1 only.</summary>
    public static byte[] Version1OnlyRecipe(bool correlationId, ReadOnlySpan<byte> payload) =>
        SplitRecipe.Build((byte)(2 | (correlationId ? 1 : 0)), payload, []);

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var recipe = new SplitRecipe(input, MaxSplitPoints);
        ReadOnlySpan<byte> payload = recipe.Data;
        uint correlationId = (recipe.Choice & 1) == 0 ? 0u : 0x01020304u;
        var header = new FrameHeader((uint)payload.Length, FrameKind.Hello, 0, correlationId);

        ushort highest = (recipe.Choice & 2) == 0 ? WireProtocol.Version2 : WireProtocol.Version;
        ProtocolError error = HelloPayload.Parse(new Frame(header, recipe.Contiguous), highest, out ushort version, out string nodeId, out int maxPayload);
        ProtocolError segmentedError = HelloPayload.Parse(new Frame(header, recipe.Segmented), highest, out ushort segmentedVersion, out string segmentedId, out int segmentedMax);
        Check(error == segmentedError && nodeId == segmentedId && version == segmentedVersion && maxPayload == segmentedMax,
            $"a segmented HELLO reads as {segmentedError} '{segmentedId}', contiguous {error} '{nodeId}'");

        if (payload.Length >= sizeof(ushort) && BinaryPrimitives.ReadUInt16BigEndian(payload) is var received && (received == 0 || received > highest))
        {
            Check(error.Code == ErrorCode.UnsupportedVersion, $"a version the receiver does not speak is UnsupportedVersion whatever follows, not {error}");
        }

        if (error.IsError)
        {
            Check(Array.IndexOf(HelloErrors, error) >= 0, $"{error} is one of the HELLO rules");
            Check(nodeId.Length == 0 && version == 0 && maxPayload == 0, "a refused HELLO yields no id, version or maximum");
            return;
        }

        Check(correlationId == 0, "an accepted HELLO has correlation id 0");
        Check(version >= WireProtocol.Version && version <= highest, $"the accepted version {version} is one the receiver speaks");
        Check(NodeIdSyntax.IsValid(nodeId.AsSpan()), $"the accepted node id '{nodeId}' is valid");
        Check(HelloPayload.GetLength(nodeId, version) == payload.Length, "the writer's length of the accepted HELLO is the payload's");
        if (version == WireProtocol.Version)
        {
            Check(maxPayload == 0, "a version-1 HELLO announces no maximum");
        }
        else
        {
            uint announced = BinaryPrimitives.ReadUInt32BigEndian(payload[^4..]);
            Check(announced >= WireProtocol.MinAnnouncedMaxPayloadLength, "an accepted version-2 HELLO announces at least 1,024");
            Check(maxPayload == (int)Math.Min(announced, int.MaxValue), "the maximum read is the announced one, capped at int.MaxValue");
            if (announced > int.MaxValue)
            {
                return; // the cap makes the writer's bytes differ from these
            }
        }

        var written = new ArrayBufferWriter<byte>();
        FrameWriter.WriteHello(written, nodeId, version, maxPayload);
        Check(written.WrittenSpan[WireProtocol.HeaderSize..].SequenceEqual(payload), "an accepted HELLO is byte for byte what the writer makes of it");
    }
}
