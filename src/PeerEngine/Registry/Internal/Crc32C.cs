using System.Buffers.Binary;
using System.Numerics;

namespace PeerEngine.Registry.Internal;

/// <summary>
/// CRC-32C (Castagnoli) on the in-box <see cref="BitOperations.Crc32C(uint, ulong)"/>, which uses
/// the SSE4.2/ARMv8 instruction when present: no package needed for 500 bytes a slot.
/// </summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data) => ~Append(~0u, data);

    /// <summary>Continues <paramref name="crc"/> (not yet inverted) over <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data[i..]));
        }

        for (; i < data.Length; i++)
        {
            crc = BitOperations.Crc32C(crc, data[i]);
        }

        return crc;
    }
}
