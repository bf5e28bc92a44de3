namespace PeerEngine.Registry.Internal;

/// <summary>What a slot held at one even sequence number.</summary>
internal enum SlotKind
{
    Free,
    Live,
    Corrupt,
}

/// <summary>
/// A reader's decoded copy of a slot at sequence <see cref="Seq"/>. A seqlock guarantees the slot's
/// bytes (all but the heartbeat) are unchanged while the sequence is, so a snapshot re-reads only the
/// sequence and the heartbeat of a known slot: no copy, no checksum, no UTF-8 decoding, no allocation.
/// Immutable and published by reference, so racing readers in one process share it safely.
/// </summary>
internal sealed class CachedSlot(ulong seq, SlotKind kind, SlotContent? content, string? problem)
{
    public static readonly CachedSlot Empty = new(ulong.MaxValue, SlotKind.Free, null, null);

    public ulong Seq { get; } = seq;

    public SlotKind Kind { get; } = kind;

    /// <summary>The decoded slot when <see cref="Kind"/> is <see cref="SlotKind.Live"/>.</summary>
    public SlotContent? Content { get; } = content;

    /// <summary>Why the slot was rejected when <see cref="Kind"/> is <see cref="SlotKind.Corrupt"/>.</summary>
    public string? Problem { get; } = problem;
}
