namespace PeerEngine.Registry.Internal;

/// <summary>
/// Offsets and sizes of the registry file; <c>docs/registry-format.md</c> is the reference and
/// this file must agree with it. Little-endian, and every 8-byte field is 8-aligned because only
/// aligned accesses are atomic (a reader must never see half a heartbeat).
/// </summary>
internal static class RegistryLayout
{
    /// <summary>"PEERREG\0" read as a little-endian u64.</summary>
    public const ulong Magic = 0x0047455252454550;

    public const ushort FormatMajor = 1;
    public const ushort FormatMinor = 0;
    public const uint EndianMarker = 0x01020304;

    /// <summary>One page, so the slots start page-aligned and the header never shares a line with a slot.</summary>
    public const int HeaderSize = 4096;

    /// <summary>Room for id (64) + host (255) + Unix path (108) + fixed fields, a multiple of the 64-byte cache line.</summary>
    public const int SlotSize = 512;

    /// <summary>Bounds a file's size (64 Ki slots = 32 MiB) so that a corrupt capacity cannot make us map gigabytes.</summary>
    public const int MaxCapacity = 65536;

    /// <summary>Bounds a slot's TTL so that a bogus value cannot keep a dead peer visible for long.</summary>
    public const int MaxTtlMs = 3_600_000;

    // Header fields.
    public const int MagicOffset = 0;
    public const int MajorOffset = 8;
    public const int MinorOffset = 10;
    public const int HeaderSizeOffset = 12;
    public const int SlotSizeOffset = 16;
    public const int CapacityOffset = 20;
    public const int EndianOffset = 24;
    public const int HeaderCrcOffset = 28;
    public const int EpochOffset = 32;
    public const int CreatedOffset = 40;

    /// <summary>The end of the immutable fields covered by the header CRC ([0,28) and [32,48)).</summary>
    public const int ImmutableEnd = 48;

    public const int GenerationOffset = 48;
    public const int NextRegistrationIdOffset = 56;
    public const int HighWaterOffset = 64;
    public const int LastWriterPidOffset = 72;
    public const int LastWriterStartOffset = 80;
    public const int ReadyOffset = 88;
    public const uint ReadyValue = 1;

    /// <summary>Scratch for telling whether two paths are one file; written and cleared under the writer lock.</summary>
    public const int AliasProbeOffset = 96;

    // Slot fields, relative to the slot's start.
    public const int SeqOffset = 0;
    public const int StateOffset = 8;
    public const int CrcOffset = 12;
    public const int RegistrationIdOffset = 16;
    public const int PidOffset = 24;
    public const int TtlOffset = 28;
    public const int ProcessStartOffset = 32;
    public const int PublishedOffset = 40;
    public const int HeartbeatIntervalOffset = 48;
    public const int HeartbeatOffset = 56;
    public const int PortOffset = 64;
    public const int TransportOffset = 66;
    public const int IdLengthOffset = 67;
    public const int HostLengthOffset = 68;
    public const int PathLengthOffset = 69;
    public const int IdOffset = 72;
    public const int MaxIdBytes = 64;
    public const int HostOffset = 136;
    public const int MaxHostBytes = 253;
    public const int PathOffset = 392;

    /// <summary>sun_path is 108 bytes on Linux including the terminating NUL.</summary>
    public const int MaxPathBytes = 107;

    public const uint StateFree = 0;
    public const uint StateLive = 1;

    /// <summary>
    /// fcntl byte-range locks live far beyond the end of the file (locking past EOF is allowed and
    /// does not grow it): one writer-lock byte, then one liveness byte per slot.
    /// </summary>
    public const long WriterLockOffset = 1L << 40;

    /// <summary>The largest time DateTimeOffset can hold (9999-12-31), in unix ms; larger stored values are corrupt.</summary>
    public const long MaxUnixMs = 253_402_300_799_999;

    /// <summary>
    /// Whether a heartbeat at <paramref name="heartbeatMs"/> still keeps its peer alive at <paramref name="nowMs"/>.
    /// A heartbeat more than a TTL in the future counts as stale too: garbage, or a clock stepped back,
    /// must not keep a dead peer visible (a live owner rewrites it within one heartbeat interval).
    /// </summary>
    public static bool IsFresh(long heartbeatMs, long nowMs, int ttlMs) =>
        heartbeatMs is >= 0 and <= MaxUnixMs && heartbeatMs > nowMs - ttlMs && heartbeatMs <= nowMs + ttlMs;

    public static long LivenessLockOffset(int slot) => WriterLockOffset + 1 + slot;

    public static int SlotOffset(int slot) => HeaderSize + (slot * SlotSize);

    public static long FileLength(int capacity) => HeaderSize + ((long)capacity * SlotSize);
}
