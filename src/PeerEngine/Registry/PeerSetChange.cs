namespace PeerEngine;

/// <summary>A change in the set of live peers, as seen by <see cref="IPeerDiscovery.WatchAsync"/>.</summary>
public sealed class PeerSetChange
{
    /// <summary>Describes a change; for discovery backends, which yield it from <see cref="IPeerDiscovery.WatchAsync"/>.</summary>
    /// <param name="peers">All live peers after the change.</param>
    /// <param name="added">Peers that appeared.</param>
    /// <param name="removed">Peers that left.</param>
    public PeerSetChange(IReadOnlyList<PeerRecord> peers, IReadOnlyList<PeerRecord> added, IReadOnlyList<PeerRecord> removed)
    {
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(added);
        ArgumentNullException.ThrowIfNull(removed);
        Peers = peers;
        Added = added;
        Removed = removed;
    }

    /// <summary>All live peers after the change.</summary>
    public IReadOnlyList<PeerRecord> Peers { get; }

    /// <summary>Peers that appeared (on the first change: every live peer).</summary>
    public IReadOnlyList<PeerRecord> Added { get; }

    /// <summary>Peers that left: unpublished, expired or dead.</summary>
    public IReadOnlyList<PeerRecord> Removed { get; }
}
