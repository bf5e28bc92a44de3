namespace PeerEngine.Registry.Internal;

/// <summary>A probe's verdict that a slot's owner is dead, valid while the slot's sequence and heartbeat are unchanged.</summary>
internal sealed record DeadOwner(ulong Seq, long HeartbeatMs);
