namespace PeerEngine.Fuzz;

/// <summary>
/// Reads the few leading bytes of a fuzz input that choose how the rest is fed to a parser (a limit,
/// where to split). Missing bytes read as zero, so every input, even an empty one, is a valid
/// recipe; the fuzzer mutates the choices and the data alike.
/// </summary>
internal ref struct ControlBytes(ReadOnlySpan<byte> input)
{
    private ReadOnlySpan<byte> _rest = input;

    /// <summary>What follows the control bytes read so far: the data the parser gets.</summary>
    public readonly ReadOnlySpan<byte> Rest => _rest;

    public byte ReadByte()
    {
        if (_rest.IsEmpty)
        {
            return 0;
        }

        byte value = _rest[0];
        _rest = _rest[1..];
        return value;
    }

    public ushort ReadUInt16() => (ushort)((ReadByte() << 8) | ReadByte());

    /// <summary>
    /// Reads a count (the low bits of one byte, up to <paramref name="maxCount"/>) and that many
    /// 16-bit offsets, and returns them as ascending split points into the data that follows (the
    /// last control bytes). Repeated points are kept: they make empty segments, which a sequence
    /// may legally hold.
    /// </summary>
    public int[] ReadSplitPoints(int maxCount)
    {
        int count = ReadByte() % (maxCount + 1);
        var raw = new ushort[count];
        for (int i = 0; i < count; i++)
        {
            raw[i] = ReadUInt16();
        }

        int length = _rest.Length;
        int[] points = [.. raw.Select(offset => offset % (length + 1))];
        Array.Sort(points);
        return points;
    }
}
