namespace PeerEngine;

/// <summary>
/// How a node makes itself known and finds its peers. The shared-file <see cref="PeerRegistry"/>
/// covers one machine; a backend for other machines implements the same contract, so the node
/// does not change.
/// </summary>
public interface IPeerDiscovery
{
    /// <summary>Publishes <paramref name="peer"/>; dispose the returned registration to unpublish it.</summary>
    /// <param name="peer">The peer to publish.</param>
    /// <param name="cancellationToken">Cancels waiting for the backend.</param>
    ValueTask<IPeerRegistration> PublishAsync(PeerAnnouncement peer, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes a snapshot of the live peers into <paramref name="destination"/> without allocating and
    /// returns how many live peers there are. When that number is larger than the buffer, only the
    /// first <c>destination.Length</c> were written: retry with a larger buffer.
    /// </summary>
    /// <param name="destination">Where to write the peers.</param>
    int Discover(Span<PeerRecord> destination);

    /// <summary>Returns a snapshot of the live peers.</summary>
    IReadOnlyList<PeerRecord> Discover();

    /// <summary>
    /// Yields the current set of live peers at once, then every change to it (peers published,
    /// unpublished, expired or dead) until <paramref name="cancellationToken"/> is cancelled.
    /// <see cref="PeerNode.StartAsync"/> waits for that first set, so that a started node knows the
    /// peers already there.
    /// </summary>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    IAsyncEnumerable<PeerSetChange> WatchAsync(CancellationToken cancellationToken = default);
}
