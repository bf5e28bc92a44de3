namespace PeerEngine;

/// <summary>A change in the set of live peers, as seen by <see cref="IPeerDiscovery.WatchAsync"/>.</summary>
public sealed class PeerSetChange
{
    internal PeerSetChange(IReadOnlyList<PeerRecord> peers, IReadOnlyList<PeerRecord> added, IReadOnlyList<PeerRecord> removed)
    {
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
