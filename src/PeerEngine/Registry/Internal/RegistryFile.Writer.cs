using System.Diagnostics;
using System.Runtime.Versioning;

using static PeerEngine.Registry.Internal.RegistryLayout;

namespace PeerEngine.Registry.Internal;

/// <summary>Writers: claiming and releasing slots, sweeping dead owners, the seqlock write itself.</summary>
[SupportedOSPlatform("linux")]
internal sealed partial class RegistryFile
{
    // Slots whose liveness lock this process holds: never probed (a probe on our own byte would succeed,
    // and its unlock would drop our own lock). Guarded by _writerGate.
    private readonly bool[] _owned;

    private long _reclaims;

    /// <summary>Slots freed because their owner was dead (liveness lock free).</summary>
    public long Reclaims => Interlocked.Read(ref _reclaims);

    /// <summary>Claims a slot for <paramref name="peer"/> and takes its liveness lock for the life of the registration.</summary>
    public (int Slot, SlotContent Content) Claim(PeerAnnouncement peer, int ttlMs, int heartbeatIntervalMs, long nowMs, TimeSpan lockTimeout)
    {
        EnterWriter(lockTimeout);
        int candidate = -1;
        bool committed = false;
        try
        {
            using ViewLease lease = _view.Acquire();
            Span<byte> image = stackalloc byte[SlotSize];

            // Scan every used slot even after a free one is found: a live owner of the same id is a
            // conflict wherever it sits, and dead owners on the way are reclaimed.
            int highWater = ReadHighWater(lease);
            for (int slot = 0; slot < highWater; slot++)
            {
                bool free = InspectForClaim(lease, slot, peer.Id, nowMs, image);
                if (free && candidate < 0 && FileLocks.TryLock(_stream, LivenessLockOffset(slot)))
                {
                    candidate = slot;
                }
            }

            while (candidate < 0 && highWater < Capacity)
            {
                // Raise the high-water mark before writing the slot, so that a repair pass (which scans
                // below the mark) finds it if this writer dies half-way.
                int slot = highWater++;
                lease.WriteInt32(HighWaterOffset, highWater);
                if (FileLocks.TryLock(_stream, LivenessLockOffset(slot)))
                {
                    candidate = slot;
                }
            }

            if (candidate < 0)
            {
                candidate = ReclaimAnyDead(lease, image);
            }

            if (candidate < 0)
            {
                throw new RegistryFullException(FilePath, Capacity);
            }

            ulong registrationId = (ulong)lease.ReadInt64(NextRegistrationIdOffset);
            lease.WriteInt64(NextRegistrationIdOffset, (long)(registrationId + 1));
            var content = new SlotContent(
                registrationId,
                ProcessIdentity.ProcessId,
                ttlMs,
                heartbeatIntervalMs,
                ProcessIdentity.StartUnixMs,
                nowMs,
                peer.Id,
                peer.Host,
                peer.Port,
                peer.Transport,
                peer.UnixPath);
            SlotCodec.EncodeLive(image, content, nowMs);
            WriteSlot(lease, candidate, image);
            BumpGeneration(lease);
            _owned[candidate] = true;
            committed = true;
            return (candidate, content);
        }
        finally
        {
            if (candidate >= 0 && !committed)
            {
                FileLocks.Unlock(_stream, LivenessLockOffset(candidate));
            }

            ExitWriter();
        }
    }

    /// <summary>Frees this process's <paramref name="slot"/> (if it still holds <paramref name="registrationId"/>) and drops its liveness lock.</summary>
    public void Release(int slot, ulong registrationId, TimeSpan lockTimeout)
    {
        EnterWriter(lockTimeout);
        try
        {
            using ViewLease lease = _view.Acquire();
            int offset = SlotOffset(slot);

            // Only a writer that ignores the lock protocol could have replaced our slot; never free theirs.
            if ((ulong)lease.ReadInt64(offset + RegistrationIdOffset) == registrationId)
            {
                Span<byte> image = stackalloc byte[SlotSize];
                SlotCodec.EncodeFree(image);
                WriteSlot(lease, slot, image);
                BumpGeneration(lease);
            }
        }
        finally
        {
            _owned[slot] = false;
            FileLocks.Unlock(_stream, LivenessLockOffset(slot));
            ExitWriter();
        }
    }

    /// <summary>
    /// The fallback when <see cref="Release"/> cannot get the writer lock: drop the liveness lock only.
    /// The slot is then dead: hidden once its heartbeat is older than its TTL, and reclaimable.
    /// </summary>
    public void Abandon(int slot)
    {
        lock (_writerGate)
        {
            _owned[slot] = false;
            FileLocks.Unlock(_stream, LivenessLockOffset(slot));
        }
    }

    /// <summary>Frees the slots of dead owners (a stale or missed heartbeat and a free liveness lock) and corrupt slots nobody owns.</summary>
    public int Sweep(long nowMs, TimeSpan lockTimeout)
    {
        EnterWriter(lockTimeout);
        try
        {
            using ViewLease lease = _view.Acquire();
            Span<byte> image = stackalloc byte[SlotSize];
            int freed = 0;
            int highWater = ReadHighWater(lease);
            for (int slot = 0; slot < highWater; slot++)
            {
                if (_owned[slot])
                {
                    continue;
                }

                int offset = SlotOffset(slot);
                CachedSlot decoded = DecodeLocked(lease, slot, image);
                bool candidate = decoded.Kind switch
                {
                    SlotKind.Corrupt => true,
                    SlotKind.Live => IsSuspect(lease.ReadInt64(offset + HeartbeatOffset), nowMs, decoded.Content!),
                    _ => false,
                };
                if (candidate && ReclaimIfDead(lease, slot, image))
                {
                    freed++;
                }
            }

            return freed;
        }
        finally
        {
            ExitWriter();
        }
    }

    /// <summary>The owner's lock-free heartbeat: one aligned 8-byte store, outside the seqlock and the checksum.</summary>
    public void WriteHeartbeat(int slot, long nowMs)
    {
        using ViewLease lease = _view.Acquire();
        lease.WriteInt64(SlotOffset(slot) + HeartbeatOffset, nowMs);
    }

    /// <summary>Whether a slot is free to take, reclaiming it first when its owner is dead; throws on a live owner of the same id.</summary>
    private bool InspectForClaim(in ViewLease lease, int slot, string id, long nowMs, Span<byte> image)
    {
        CachedSlot decoded = DecodeLocked(lease, slot, image);
        int offset = SlotOffset(slot);
        switch (decoded.Kind)
        {
            case SlotKind.Free:
                return true;
            case SlotKind.Corrupt:
                return !_owned[slot] && ReclaimIfDead(lease, slot, image);
            default:
                SlotContent content = decoded.Content!;
                bool sameId = string.Equals(content.Id, id, StringComparison.Ordinal);
                if (_owned[slot])
                {
                    return sameId ? throw new PeerIdConflictException(FilePath, id, content.ProcessId) : false;
                }

                if (!IsSuspect(lease.ReadInt64(offset + HeartbeatOffset), nowMs, content) && !sameId)
                {
                    return false;
                }

                if (ReclaimIfDead(lease, slot, image))
                {
                    return true;
                }

                return sameId ? throw new PeerIdConflictException(FilePath, id, content.ProcessId) : false;
        }
    }

    /// <summary>Whether a live slot's owner may be dead, and is worth a probe: its heartbeat is stale or one is missed.</summary>
    private static bool IsSuspect(long heartbeatMs, long nowMs, SlotContent content) =>
        !IsFresh(heartbeatMs, nowMs, content.TtlMs) || nowMs >= MissedBeatAt(heartbeatMs, content);

    /// <summary>
    /// A slot as seen with the writer lock held, where its sequence is stable (the repair pass left none
    /// odd): the readers' cached copy when it is current, else a fresh decode, which is cached in turn.
    /// </summary>
    private CachedSlot DecodeLocked(in ViewLease lease, int slot, Span<byte> image)
    {
        int offset = SlotOffset(slot);
        ulong seq = (ulong)lease.ReadInt64(offset);
        if (_cache[slot] is { } cached && cached.Seq == seq)
        {
            return cached;
        }

        lease.CopyTo(offset, image);
        CachedSlot decoded = SlotCodec.Decode(image, seq);
        _cache[slot] = decoded;
        return decoded;
    }

    /// <summary>
    /// The last resort of a full registry: probe every slot of another process, fresh heartbeat or not,
    /// so a peer killed a moment ago frees its slot now rather than after its TTL. Only here, because
    /// a probe of a live owner costs a failed syscall and an exception (about 12 µs). Returns a slot
    /// whose liveness lock is now ours, or -1.
    /// </summary>
    private int ReclaimAnyDead(in ViewLease lease, Span<byte> image)
    {
        for (int slot = 0; slot < Capacity; slot++)
        {
            if (!_owned[slot] && ReclaimIfDead(lease, slot, image) && FileLocks.TryLock(_stream, LivenessLockOffset(slot)))
            {
                return slot;
            }
        }

        return -1;
    }

    /// <summary>
    /// Probes the slot's liveness lock without blocking: if we can take it, its owner is dead (the
    /// kernel released it), whatever its pid says now, so the slot is freed. A stopped owner still
    /// holds it, so its slot is never stolen.
    /// </summary>
    private bool ReclaimIfDead(in ViewLease lease, int slot, Span<byte> image)
    {
        long lockOffset = LivenessLockOffset(slot);
        if (_owned[slot] || !FileLocks.TryLock(_stream, lockOffset))
        {
            return false;
        }

        FileLocks.Unlock(_stream, lockOffset);
        SlotCodec.EncodeFree(image);
        WriteSlot(lease, slot, image);
        BumpGeneration(lease);
        Interlocked.Increment(ref _reclaims);
        return true;
    }

    /// <summary>The seqlock write: odd sequence, the image, even sequence. Works from an odd (interrupted) sequence too.</summary>
    private static void WriteSlot(in ViewLease lease, int slot, ReadOnlySpan<byte> image)
    {
        int offset = SlotOffset(slot);
        long seq = lease.ReadInt64(offset);
        long odd = (seq & 1) == 0 ? seq + 1 : seq;
        lease.WriteInt64(offset, odd);

        // Readers must see the odd sequence before any byte of the new image, and the whole image before
        // the even one. Writers are rare, so full fences (correct on ARM64 too) cost nothing that matters.
        Interlocked.MemoryBarrier();
        lease.CopyFrom(offset + sizeof(long), image[sizeof(long)..]);
        Interlocked.MemoryBarrier();
        lease.WriteInt64(offset, odd + 1);
    }

    private static void BumpGeneration(in ViewLease lease) =>
        lease.WriteInt64(GenerationOffset, lease.ReadInt64(GenerationOffset) + 1);

    private int ReadHighWater(in ViewLease lease) => Math.Clamp(lease.ReadInt32(HighWaterOffset), 0, Capacity);
}
