using System.Buffers;

namespace PeerEngine.Buffers;

/// <summary>
/// The arrays behind <see cref="PooledBuffer"/>s larger than the ones they keep: payload copies and
/// handlers' responses. A pool of PeerEngine's own rather than <see cref="ArrayPool{T}.Shared"/>,
/// whose 32 arrays per size and core a busy node outgrows (16 requests of 64 KiB in flight rent 32
/// arrays of that size for their payloads and responses alone), after which every rent allocates.
/// </summary>
internal static class PayloadArrays
{
    /// <summary>Larger arrays come from <see cref="ArrayPool{T}.Shared"/> (rare: past the usual frame).</summary>
    private const int MaxPooledLength = 128 * 1024;

    /// <summary>Kept per size (16 B to 128 KiB): at most about 32 MiB held after a burst.</summary>
    private const int RetainedPerSize = 128;

    private static readonly ArrayPool<byte> Pool = ArrayPool<byte>.Create(MaxPooledLength, RetainedPerSize);

    /// <summary>An array of at least <paramref name="minimumLength"/> bytes.</summary>
    public static byte[] Rent(int minimumLength) =>
        minimumLength <= MaxPooledLength ? Pool.Rent(minimumLength) : ArrayPool<byte>.Shared.Rent(minimumLength);

    /// <summary>Gives back an array from <see cref="Rent"/> (its length says which pool it came from).</summary>
    public static void Return(byte[] array)
    {
        if (array.Length <= MaxPooledLength)
        {
            Pool.Return(array);
        }
        else
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
