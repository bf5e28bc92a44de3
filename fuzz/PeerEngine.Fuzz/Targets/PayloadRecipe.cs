using System.Buffers;

using PeerEngine.Tests.Support;

namespace PeerEngine.Fuzz.Targets;

/// <summary>
/// The input shape of the payload targets: byte 0 for the target's own choice, byte 1 (mod 5) how
/// many split points follow as big-endian u16s, then the payload. The parsers get the payload both
/// contiguous and cut at the split points, and must say the same of both.
/// </summary>
internal readonly ref struct PayloadRecipe
{
    private const int MaxSplitPoints = 4;

    public PayloadRecipe(ReadOnlySpan<byte> input)
    {
        var control = new ControlBytes(input);
        Choice = control.ReadByte();
        int[] splitPoints = control.ReadSplitPoints(MaxSplitPoints);
        Payload = control.Rest;
        byte[] bytes = Payload.ToArray();
        Contiguous = new ReadOnlySequence<byte>(bytes);
        Segmented = SegmentedSequence.Split(bytes, splitPoints);
    }

    public byte Choice { get; }

    public ReadOnlySpan<byte> Payload { get; }

    public ReadOnlySequence<byte> Contiguous { get; }

    public ReadOnlySequence<byte> Segmented { get; }

    /// <summary>Builds an input: <paramref name="choice"/>, the split points, then <paramref name="payload"/>.</summary>
    public static byte[] Build(byte choice, ReadOnlySpan<byte> payload, params ReadOnlySpan<ushort> splitPoints)
    {
        var recipe = new List<byte> { choice, (byte)splitPoints.Length };
        foreach (ushort point in splitPoints)
        {
            recipe.Add((byte)(point >> 8));
            recipe.Add((byte)point);
        }

        recipe.AddRange(payload);
        return [.. recipe];
    }
}
