namespace PeerEngine.Transport.SharedMemory.Internal;

/// <summary>
/// Where everything sits in a connection's shared mapping: a header page, then one ring per direction.
/// </summary>
/// <remarks>
/// <code>
///   0      mapping header: magic (8 B), version (4 B), ring capacity (4 B)
///   256    ring 0 header (dialler writes, listener reads)
///   512    ring 1 header (listener writes, dialler reads)
///   4096   ring 0 data (capacity bytes)
///   4096+C ring 1 data (capacity bytes)
/// </code>
/// A ring header is four 64-byte cache lines, one per writer: the producer's tail and closed flag, the
/// consumer's head, the consumer's "asleep" flag, the producer's "waiting for space" flag. Keeping the
/// two counters on separate lines stops every write on one side from invalidating the line the other
/// side is polling. Counters are 64-bit byte counts since the start (they never wrap in practice:
/// 2^64 bytes), so "full" and "empty" are never confused; the offset in the data is the count modulo the
/// capacity, a power of two. The header page is read once, at setup: after that each side uses its own
/// copy of the capacity, so a peer rewriting it changes nothing.
/// </remarks>
internal static class RingLayout
{
    /// <summary>"PEERSHM1", little-endian: the first 8 bytes of a mapping and of the setup message.</summary>
    public const ulong Magic = 0x314D485352454550;

    public const uint Version = 1;

    public const int MagicOffset = 0;
    public const int VersionOffset = 8;
    public const int CapacityOffset = 12;

    public const int CacheLine = 64;
    public const int RingHeaderSize = 4 * CacheLine;
    public const int FirstRingHeader = 256;

    /// <summary>The data starts on its own page, so the header page is all a new idle connection touches.</summary>
    public const int DataOffset = 4096;

    // Within a ring header.
    public const int TailOffset = 0;
    public const int ClosedOffset = 8;
    public const int HeadOffset = CacheLine;
    public const int ConsumerAsleepOffset = 2 * CacheLine;
    public const int ProducerWaitingOffset = 3 * CacheLine;

    /// <summary>The smallest ring: one page.</summary>
    public const int MinCapacity = 4096;

    /// <summary>The largest ring: 64 MiB per direction.</summary>
    public const int MaxCapacity = 64 * 1024 * 1024;

    /// <summary>The mapping's size for rings of <paramref name="capacity"/> bytes.</summary>
    public static long MappingSize(int capacity) => DataOffset + 2L * capacity;

    public static int RingHeader(int ring) => FirstRingHeader + ring * RingHeaderSize;

    public static long RingData(int ring, int capacity) => DataOffset + (long)ring * capacity;

    /// <summary>Whether a ring capacity is one this transport maps: a power of two in [4 KiB, 64 MiB].</summary>
    public static bool IsValidCapacity(long capacity) =>
        capacity is >= MinCapacity and <= MaxCapacity && (capacity & (capacity - 1)) == 0;
}
