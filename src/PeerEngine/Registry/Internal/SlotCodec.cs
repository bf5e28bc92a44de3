using System.Buffers.Binary;
using System.Text;

using static PeerEngine.Registry.Internal.RegistryLayout;

namespace PeerEngine.Registry.Internal;

/// <summary>Turns a slot's 512 bytes into a <see cref="SlotContent"/> and back.</summary>
internal static class SlotCodec
{
    /// <summary>
    /// The checksum covers every byte after itself except the heartbeat, which its owner rewrites
    /// without the lock and without bumping the sequence: [16,56) and [64,512).
    /// </summary>
    public static uint ComputeChecksum(ReadOnlySpan<byte> slot)
    {
        uint crc = Crc32C.Append(~0u, slot[RegistrationIdOffset..HeartbeatOffset]);
        crc = Crc32C.Append(crc, slot[PortOffset..SlotSize]);
        return ~crc;
    }

    /// <summary>Writes a live slot's image, checksum included; the sequence (bytes 0–7) is left zero for the caller.</summary>
    public static void EncodeLive(Span<byte> slot, SlotContent content, long heartbeatMs)
    {
        slot.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(slot[StateOffset..], StateLive);
        BinaryPrimitives.WriteUInt64LittleEndian(slot[RegistrationIdOffset..], content.RegistrationId);
        BinaryPrimitives.WriteInt32LittleEndian(slot[PidOffset..], content.ProcessId);
        BinaryPrimitives.WriteInt32LittleEndian(slot[TtlOffset..], content.TtlMs);
        BinaryPrimitives.WriteInt64LittleEndian(slot[ProcessStartOffset..], content.ProcessStartMs);
        BinaryPrimitives.WriteInt64LittleEndian(slot[PublishedOffset..], content.PublishedMs);
        BinaryPrimitives.WriteInt32LittleEndian(slot[HeartbeatIntervalOffset..], content.HeartbeatIntervalMs);
        BinaryPrimitives.WriteInt64LittleEndian(slot[HeartbeatOffset..], heartbeatMs);
        BinaryPrimitives.WriteUInt16LittleEndian(slot[PortOffset..], (ushort)content.Port);
        slot[TransportOffset] = (byte)content.Transport;
        slot[IdLengthOffset] = (byte)Encoding.UTF8.GetBytes(content.Id, slot.Slice(IdOffset, MaxIdBytes));
        slot[HostLengthOffset] = (byte)Encoding.UTF8.GetBytes(content.Host, slot.Slice(HostOffset, MaxHostBytes));
        slot[PathLengthOffset] = (byte)Encoding.UTF8.GetBytes(content.UnixPath ?? "", slot.Slice(PathOffset, MaxPathBytes));
        BinaryPrimitives.WriteUInt32LittleEndian(slot[CrcOffset..], ComputeChecksum(slot));
    }

    /// <summary>Writes a free slot's image: all zero but its checksum.</summary>
    public static void EncodeFree(Span<byte> slot)
    {
        slot.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(slot[CrcOffset..], ComputeChecksum(slot));
    }

    /// <summary>Decodes a consistent copy of a slot taken at sequence <paramref name="seq"/>; never throws on bad bytes.</summary>
    public static CachedSlot Decode(ReadOnlySpan<byte> slot, ulong seq)
    {
        uint state = BinaryPrimitives.ReadUInt32LittleEndian(slot[StateOffset..]);
        if (state == StateFree)
        {
            return new CachedSlot(seq, SlotKind.Free, null, null);
        }

        if (state != StateLive)
        {
            return Corrupt(seq, $"unknown state {state}");
        }

        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(slot[CrcOffset..]);
        uint computed = ComputeChecksum(slot);
        if (stored != computed)
        {
            return Corrupt(seq, $"checksum mismatch (stored 0x{stored:X8}, computed 0x{computed:X8})");
        }

        int idLength = slot[IdLengthOffset];
        int hostLength = slot[HostLengthOffset];
        int pathLength = slot[PathLengthOffset];
        if (idLength > MaxIdBytes || hostLength > MaxHostBytes || pathLength > MaxPathBytes)
        {
            return Corrupt(seq, "a string length is out of range");
        }

        ReadOnlySpan<byte> id = slot.Slice(IdOffset, idLength);
        ReadOnlySpan<byte> host = slot.Slice(HostOffset, hostLength);
        ReadOnlySpan<byte> path = slot.Slice(PathOffset, pathLength);
        if (!PeerFieldRules.IsValidId(id) || !PeerFieldRules.IsValidHost(host) || !PeerFieldRules.IsValidUnixPath(path))
        {
            return Corrupt(seq, "a string field is invalid");
        }

        var transport = (PeerTransport)slot[TransportOffset];
        int port = BinaryPrimitives.ReadUInt16LittleEndian(slot[PortOffset..]);
        bool endpointOk = transport switch
        {
            PeerTransport.Tcp => hostLength > 0 && port > 0,
            PeerTransport.UnixSocket => pathLength > 0 && hostLength == 0 && port == 0,
            _ => false,
        };
        int pid = BinaryPrimitives.ReadInt32LittleEndian(slot[PidOffset..]);
        int ttl = BinaryPrimitives.ReadInt32LittleEndian(slot[TtlOffset..]);
        int interval = BinaryPrimitives.ReadInt32LittleEndian(slot[HeartbeatIntervalOffset..]);
        long processStart = BinaryPrimitives.ReadInt64LittleEndian(slot[ProcessStartOffset..]);
        long published = BinaryPrimitives.ReadInt64LittleEndian(slot[PublishedOffset..]);
        if (!endpointOk || pid <= 0 || ttl is <= 0 or > MaxTtlMs || interval <= 0
            || processStart is < 0 or > MaxUnixMs || published is < 0 or > MaxUnixMs)
        {
            return Corrupt(seq, "a numeric field is out of range");
        }

        var content = new SlotContent(
            BinaryPrimitives.ReadUInt64LittleEndian(slot[RegistrationIdOffset..]),
            pid,
            ttl,
            interval,
            processStart,
            published,
            Encoding.UTF8.GetString(id),
            Encoding.UTF8.GetString(host),
            port,
            transport,
            pathLength == 0 ? null : Encoding.UTF8.GetString(path));
        return new CachedSlot(seq, SlotKind.Live, content, null);
    }

    private static CachedSlot Corrupt(ulong seq, string problem) => new(seq, SlotKind.Corrupt, null, problem);
}
