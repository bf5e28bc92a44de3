using System.Buffers;
using System.Buffers.Binary;

using PeerEngine.Framing;

using static PeerEngine.Fuzz.InvariantViolationException;

namespace PeerEngine.Fuzz.Targets;

/// <summary>
/// The HELLO payload parser. The input is a <see cref="SplitRecipe"/> of up to 4 split points whose
/// choice byte sets the frame's correlation id (bit 0: 0 or not) and whose data is the payload.
/// Checks: the verdict is one of the HELLO rules, the version outranks every other rule, an accepted
/// HELLO carries a valid id and is exactly what the writer makes of it, and a segmented payload gets
/// the verdict of the contiguous one.
/// </summary>
public sealed class HelloPayloadTarget : IFuzzTarget
{
    private const int MaxSplitPoints = 4;

    private static readonly ProtocolError[] HelloErrors =
    [
        ProtocolErrors.HelloTooShort,
        ProtocolErrors.UnsupportedVersion,
        ProtocolErrors.UnexpectedId,
        ProtocolErrors.HelloMalformed,
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

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        var recipe = new SplitRecipe(input, MaxSplitPoints);
        ReadOnlySpan<byte> payload = recipe.Data;
        uint correlationId = (recipe.Choice & 1) == 0 ? 0u : 0x01020304u;
        var header = new FrameHeader((uint)payload.Length, FrameKind.Hello, 0, correlationId);

        ProtocolError error = HelloPayload.Parse(new Frame(header, recipe.Contiguous), out string nodeId);
        ProtocolError segmentedError = HelloPayload.Parse(new Frame(header, recipe.Segmented), out string segmentedId);
        Check(error == segmentedError && nodeId == segmentedId,
            $"a segmented HELLO reads as {segmentedError} '{segmentedId}', contiguous {error} '{nodeId}'");

        if (payload.Length >= sizeof(ushort) && BinaryPrimitives.ReadUInt16BigEndian(payload) != WireProtocol.Version)
        {
            Check(error == ProtocolErrors.UnsupportedVersion, $"another version is UnsupportedVersion whatever follows, not {error}");
        }

        if (error.IsError)
        {
            Check(Array.IndexOf(HelloErrors, error) >= 0, $"{error} is one of the HELLO rules");
            Check(nodeId.Length == 0, "a refused HELLO yields no node id");
            return;
        }

        Check(correlationId == 0, "an accepted HELLO has correlation id 0");
        Check(NodeIdSyntax.IsValid(nodeId.AsSpan()), $"the accepted node id '{nodeId}' is valid");
        Check(HelloPayload.GetLength(nodeId) == payload.Length, "the writer's length of the accepted id is the payload's");
        var written = new ArrayBufferWriter<byte>();
        FrameWriter.WriteHello(written, nodeId);
        Check(written.WrittenSpan[WireProtocol.HeaderSize..].SequenceEqual(payload), "an accepted HELLO is byte for byte what the writer makes of its id");
    }
}
