using System.Buffers;

using PeerEngine.Tests.Support;

namespace PeerEngine.Fuzz;

/// <summary>
/// How the sequence targets read an input: byte 0 is the target's own choice, byte 1 (mod
/// maxSplitPoints + 1) how many split points follow as big-endian u16s, and the rest is the data,
/// which the parser gets both contiguous and cut at the split points. Missing bytes read as zero, so
/// every input, even an empty one, is a valid recipe; the fuzzer mutates the choices and the data
/// alike.
/// </summary>
internal sealed class SplitRecipe
{
    public SplitRecipe(ReadOnlySpan<byte> input, int maxSplitPoints)
    {
        Choice = Next(ref input);
        int count = Next(ref input) % (maxSplitPoints + 1);
        var raw = new int[count];
        for (int i = 0; i < count; i++)
        {
            raw[i] = (Next(ref input) << 8) | Next(ref input);
        }

        Data = input.ToArray();

        // Repeated points are kept: they make empty segments, which a sequence may legally hold.
        SplitPoints = [.. raw.Select(offset => offset % (Data.Length + 1)).Order()];
    }

    public byte Choice { get; }

    public byte[] Data { get; }

    /// <summary>Ascending offsets into <see cref="Data"/>.</summary>
    public int[] SplitPoints { get; }

    public ReadOnlySequence<byte> Contiguous => new(Data);

    public ReadOnlySequence<byte> Segmented => SegmentedSequence.Split(Data, SplitPoints);

    /// <summary>Builds an input: <paramref name="choice"/>, the split points, then <paramref name="data"/>.</summary>
    public static byte[] Build(byte choice, ReadOnlySpan<byte> data, params ReadOnlySpan<ushort> splitPoints)
    {
        var recipe = new List<byte> { choice, (byte)splitPoints.Length };
        foreach (ushort point in splitPoints)
        {
            recipe.Add((byte)(point >> 8));
            recipe.Add((byte)point);
        }

        recipe.AddRange(data);
        return [.. recipe];
    }

    private static byte Next(ref ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return 0;
        }

        byte value = input[0];
        input = input[1..];
        return value;
    }
}
