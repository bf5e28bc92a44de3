using System.Runtime.CompilerServices;
using System.Runtime.Versioning;

using static PeerEngine.Registry.Internal.RegistryLayout;

namespace PeerEngine.Registry.Internal;

/// <summary>Readers: lock-free snapshots over the seqlock.</summary>
[SupportedOSPlatform("linux")]
internal sealed partial class RegistryFile
{
    // A writer keeps a sequence odd for about a microsecond; preempted on a busy machine, longer. After
    // this many yields the slot is reported in flux and skipped rather than stalling the snapshot; a
    // slot left odd by a dead writer stays skipped until the next writer repairs it.
    private const int MaxAttempts = 64;

    // Bounds how often a reader probes one slot whatever the owner's heartbeat interval: a failed
    // probe costs a syscall and an exception.
    private const int MinProbeIntervalMs = 100;

    // Decoded slots by index, each valid for one sequence number; see CachedSlot.
    private readonly CachedSlot?[] _cache;

    // Per slot: the registration (sequence) and last heartbeat at which a probe found its owner dead.
    // A dead owner writes neither again, so while both are unchanged the verdict stands, unprobed.
    private readonly DeadOwner?[] _deadOwners;

    // Per slot: when (unix ms, the registry clock) its liveness lock was last probed by a reader.
    private readonly long[] _probedAtMs;

    /// <summary>The membership generation: bumped on every claim, release, reclaim and repair.</summary>
    public long ReadGeneration()
    {
        using ViewLease lease = _view.Acquire();
        return lease.ReadInt64(GenerationOffset);
    }

    /// <summary>
    /// Writes the live peers into <paramref name="destination"/> and returns how many there are.
    /// Allocates nothing unless a slot changed since this process last decoded it.
    /// </summary>
    /// <param name="destination">Where to write peers; those that do not fit are only counted.</param>
    /// <param name="nowMs">The current time (unix ms) that heartbeats are judged against.</param>
    /// <param name="summary">What else the pass saw.</param>
    /// <param name="slots">When not empty, receives the slot index of each peer written to <paramref name="destination"/>.</param>
    public int Scan(Span<PeerRecord> destination, long nowMs, out ScanSummary summary, Span<int> slots = default)
    {
        summary = default;
        summary.NextCheckMs = long.MaxValue;
        using ViewLease lease = _view.Acquire();
        summary.Generation = lease.ReadInt64(GenerationOffset);
        Volatile.ReadBarrier();
        int highWater = ReadHighWater(lease);
        int count = 0;
        for (int slot = 0; slot < highWater; slot++)
        {
            CachedSlot? cached = ReadSlot(lease, slot, out long heartbeatMs);
            if (cached is null)
            {
                summary.InFlux++;
                continue;
            }

            if (cached.Kind != SlotKind.Live)
            {
                summary.Corrupt += cached.Kind == SlotKind.Corrupt ? 1 : 0;
                continue;
            }

            SlotContent content = cached.Content!;
            if (!IsFresh(heartbeatMs, nowMs, content.TtlMs))
            {
                summary.Expired++;
                continue;
            }

            long missedBeatMs = MissedBeatAt(heartbeatMs, content);
            if (nowMs >= missedBeatMs && IsOwnerDead(slot, cached.Seq, heartbeatMs, nowMs, content.HeartbeatIntervalMs))
            {
                summary.Dead++;
                continue;
            }

            summary.NextCheckMs = Math.Min(summary.NextCheckMs, Math.Max(nowMs + 1, Math.Min(heartbeatMs + content.TtlMs, missedBeatMs)));
            if (count < destination.Length)
            {
                destination[count] = content.ToRecord(heartbeatMs);
                if (count < slots.Length)
                {
                    slots[count] = slot;
                }
            }

            count++;
        }

        summary.Live = count;
        return count;
    }

    /// <summary>When a heartbeat counts as missed: one and a half of the owner's intervals after the last one.</summary>
    private static long MissedBeatAt(long heartbeatMs, SlotContent content) =>
        heartbeatMs + content.HeartbeatIntervalMs + (content.HeartbeatIntervalMs / 2);

    /// <summary>
    /// For a live-looking slot whose owner missed a heartbeat: probes its liveness lock (at most once
    /// per heartbeat interval, and never one of this process's own slots). Taking it means the kernel
    /// released it, so the owner is dead and the peer is hidden now instead of at the end of its TTL.
    /// A stopped or merely slow owner still holds it and stays visible until its TTL.
    /// </summary>
    private bool IsOwnerDead(int slot, ulong seq, long heartbeatMs, long nowMs, int heartbeatIntervalMs)
    {
        if (_deadOwners[slot] is { } dead && dead.Seq == seq && dead.HeartbeatMs == heartbeatMs)
        {
            return true;
        }

        if (nowMs - Volatile.Read(ref _probedAtMs[slot]) < Math.Max(heartbeatIntervalMs, MinProbeIntervalMs))
        {
            return false;
        }

        // Record locks belong to the process: the probe's unlock must not race this process's writers,
        // which take and drop liveness locks under the same gate. A busy gate just skips the probe.
        if (!_writerGate.TryEnter())
        {
            return false;
        }

        try
        {
            Volatile.Write(ref _probedAtMs[slot], nowMs);
            long lockOffset = LivenessLockOffset(slot);
            if (_owned[slot] || !FileLocks.TryLock(_stream, lockOffset))
            {
                return false;
            }

            FileLocks.Unlock(_stream, lockOffset);
            _deadOwners[slot] = new DeadOwner(seq, heartbeatMs);
            return true;
        }
        finally
        {
            _writerGate.Exit();
        }
    }

    /// <summary>The registration id in <paramref name="slot"/> when it holds a valid live peer (tests and diagnostics).</summary>
    public ulong? ReadRegistrationId(int slot)
    {
        using ViewLease lease = _view.Acquire();
        return ReadSlot(lease, slot, out _) is { Kind: SlotKind.Live } cached ? cached.Content!.RegistrationId : null;
    }

    /// <summary>
    /// A consistent view of one slot: its decoded bytes (cached by sequence number) and a heartbeat
    /// read under the same sequence. <see langword="null"/> when the slot stayed in flux.
    /// </summary>
    private CachedSlot? ReadSlot(in ViewLease lease, int slot, out long heartbeatMs)
    {
        int offset = SlotOffset(slot);
        var spinner = default(SpinWait);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            long seq = lease.ReadInt64(offset);
            if ((seq & 1) != 0)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
                continue;
            }

            // Loads after this one (the slot's bytes) must not move before it, and the bytes must be
            // read before the sequence is read again: the read half of the seqlock.
            Volatile.ReadBarrier();
            CachedSlot? cached = _cache[slot];
            if (cached is null || cached.Seq != (ulong)seq)
            {
                cached = DecodeSlot(lease, offset, seq);
                if (cached is null)
                {
                    spinner.SpinOnce(sleep1Threshold: -1);
                    continue;
                }

                _cache[slot] = cached;
            }

            heartbeatMs = cached.Kind == SlotKind.Live ? lease.ReadInt64(offset + HeartbeatOffset) : 0;
            Volatile.ReadBarrier();
            if (lease.ReadInt64(offset) == seq)
            {
                return cached;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }

        heartbeatMs = 0;
        return null;
    }

    /// <summary>Copies and decodes the slot; <see langword="null"/> when a writer touched it meanwhile.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static CachedSlot? DecodeSlot(in ViewLease lease, int offset, long seq)
    {
        Span<byte> image = stackalloc byte[SlotSize];
        lease.CopyTo(offset, image);
        Volatile.ReadBarrier();
        return lease.ReadInt64(offset) == seq ? SlotCodec.Decode(image, (ulong)seq) : null;
    }
}
