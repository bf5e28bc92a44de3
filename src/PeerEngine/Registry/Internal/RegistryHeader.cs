using System.Buffers.Binary;

using static PeerEngine.Registry.Internal.RegistryLayout;

namespace PeerEngine.Registry.Internal;

/// <summary>What the first page of a registry file says about it.</summary>
internal enum HeaderStatus
{
    /// <summary>A complete registry of a format this build reads.</summary>
    Valid,

    /// <summary>Empty, or our own creation interrupted before its ready flag: initialise it under the writer lock.</summary>
    NeedsInitialisation,
}

/// <summary>
/// Validates a registry header read with a plain read, before anything is mapped: a mapping that
/// reaches past the end of a shorter file kills the reader with SIGBUS, so every length is checked
/// first. A foreign or damaged file throws <see cref="RegistryFormatException"/> and is never written.
/// </summary>
internal static class RegistryHeader
{
    /// <param name="path">The file, for messages.</param>
    /// <param name="header">The file's first bytes, up to <see cref="HeaderSize"/>.</param>
    /// <param name="fileLength">The file's length when <paramref name="header"/> was read.</param>
    /// <param name="capacity">The slot count, when valid.</param>
    public static HeaderStatus Validate(string path, ReadOnlySpan<byte> header, long fileLength, out int capacity)
    {
        capacity = 0;
        if (fileLength == 0 || !header.ContainsAnyExcept((byte)0))
        {
            return HeaderStatus.NeedsInitialisation;
        }

        if (header.Length < sizeof(ulong) || BinaryPrimitives.ReadUInt64LittleEndian(header) != Magic)
        {
            throw Fail(path, $"not a PeerEngine peer registry: expected magic {Convert.ToHexString(BitConverter.GetBytes(Magic))} (\"PEERREG\\0\"), " +
                             $"found {Convert.ToHexString(header[..Math.Min(16, header.Length)])} in a file of {fileLength} bytes");
        }

        if (header.Length < HeaderSize)
        {
            throw Fail(path, $"truncated registry: {fileLength} bytes, the header alone needs {HeaderSize}");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(header[EndianOffset..]) != EndianMarker)
        {
            throw Fail(path, $"registry written with another byte order (marker 0x{BinaryPrimitives.ReadUInt32LittleEndian(header[EndianOffset..]):X8})");
        }

        ushort major = BinaryPrimitives.ReadUInt16LittleEndian(header[MajorOffset..]);
        ushort minor = BinaryPrimitives.ReadUInt16LittleEndian(header[MinorOffset..]);
        if (major != FormatMajor)
        {
            throw Fail(path, $"registry format version {major}.{minor} is not supported; this build reads version {FormatMajor}.x");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(header[ReadyOffset..]) != ReadyValue)
        {
            return HeaderStatus.NeedsInitialisation;
        }

        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(header[HeaderSizeOffset..]);
        uint slotSize = BinaryPrimitives.ReadUInt32LittleEndian(header[SlotSizeOffset..]);
        if (headerSize != HeaderSize || slotSize != SlotSize)
        {
            throw Fail(path, $"registry layout mismatch: header {headerSize} and slot {slotSize} bytes, this build uses {HeaderSize} and {SlotSize}");
        }

        uint storedCrc = BinaryPrimitives.ReadUInt32LittleEndian(header[HeaderCrcOffset..]);
        uint computedCrc = ComputeChecksum(header);
        if (storedCrc != computedCrc)
        {
            throw Fail(path, $"registry header checksum mismatch (stored 0x{storedCrc:X8}, computed 0x{computedCrc:X8})");
        }

        uint slots = BinaryPrimitives.ReadUInt32LittleEndian(header[CapacityOffset..]);
        if (slots is < 1 or > MaxCapacity)
        {
            throw Fail(path, $"registry capacity {slots} is out of range (1 to {MaxCapacity})");
        }

        if (fileLength < FileLength((int)slots))
        {
            throw Fail(path, $"truncated registry: {fileLength} bytes, {slots} slots need {FileLength((int)slots)}");
        }

        capacity = (int)slots;
        return HeaderStatus.Valid;
    }

    /// <summary>Writes a new header with every field but the ready flag, which the creator sets last.</summary>
    public static void WriteInitial(Span<byte> header, int capacity, ulong epoch, long createdMs)
    {
        header.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(header[MagicOffset..], Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[MajorOffset..], FormatMajor);
        BinaryPrimitives.WriteUInt16LittleEndian(header[MinorOffset..], FormatMinor);
        BinaryPrimitives.WriteUInt32LittleEndian(header[HeaderSizeOffset..], HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(header[SlotSizeOffset..], SlotSize);
        BinaryPrimitives.WriteUInt32LittleEndian(header[CapacityOffset..], (uint)capacity);
        BinaryPrimitives.WriteUInt32LittleEndian(header[EndianOffset..], EndianMarker);
        BinaryPrimitives.WriteUInt64LittleEndian(header[EpochOffset..], epoch);
        BinaryPrimitives.WriteInt64LittleEndian(header[CreatedOffset..], createdMs);
        BinaryPrimitives.WriteUInt64LittleEndian(header[NextRegistrationIdOffset..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(header[HeaderCrcOffset..], ComputeChecksum(header));
    }

    /// <summary>Covers the fields fixed at creation: [0,28) and [32,48).</summary>
    public static uint ComputeChecksum(ReadOnlySpan<byte> header)
    {
        uint crc = Crc32C.Append(~0u, header[..HeaderCrcOffset]);
        crc = Crc32C.Append(crc, header[EpochOffset..ImmutableEnd]);
        return ~crc;
    }

    private static RegistryFormatException Fail(string path, string problem) => new(path, problem);
}
