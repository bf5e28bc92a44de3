using System.Net;
using System.Diagnostics.CodeAnalysis;
using PeerEngine.ConnectionPool;
using PeerEngine.Diagnostics;
using PeerEngine.Node.Internal;

namespace PeerEngine;

public sealed partial class PeerNode
{
    private volatile Dictionary<string, PeerRecord> _peers = new(StringComparer.Ordinal);

    /// <summary>
    /// A peer appeared in the registry (or came back at a new address). Subscribe before
    /// <see cref="StartAsync"/> to be told of the peers already there too: they are reported before it
    /// returns. A handler subscribed later hears of later peers only; it reads <see cref="Peers"/>
    /// after subscribing for the others (a peer joining meanwhile may then be reported by both).
    /// </summary>
    public event EventHandler<PeerRecord>? PeerJoined;

    /// <summary>A peer left the registry: it stopped, or died and expired.</summary>
    public event EventHandler<PeerRecord>? PeerLeft;

    /// <summary>
    /// The live peers the node knows of, itself excluded (a snapshot). From the moment
    /// <see cref="StartAsync"/> returns, it holds the peers that were already there.
    /// </summary>
    public IReadOnlyCollection<PeerRecord> Peers => _peers.Values;

    /// <summary>Checks the node: running, still live in its registry, every pool able to connect.</summary>
    public PeerNodeHealth CheckHealth()
    {
        bool running = IsRunning;
        bool published = running && (!_options.Listen || !_options.Discover || (_discovery is not null && _discovery.Discover().Any(p => p.Id == Id)));
        string[] unreachable = [.. AllPools.Where(p => p.IsBackingOff || p.IsCircuitOpen).Select(p => p.PeerId)];
        return new PeerNodeHealth(running, published, _peers.Count, unreachable);
    }

    /// <summary>
    /// Takes the discovery's first peer set, the peers already there, so that <see cref="StartAsync"/>
    /// returns knowing them whether the discovery yields it at once (the registry file) or after a
    /// round trip (a network backend).
    /// </summary>
    /// <returns>The watch, to go on following; <see langword="null"/> when it ended or failed already.</returns>
    private async Task<IAsyncEnumerator<PeerSetChange>?> FollowFirstPeerSetAsync(CancellationToken startCancellation)
    {
        if (_discovery is null)
        {
            return null; // option Discover off: no peer set to follow
        }

        // The watch lives as long as the node, not as the call that starts it.
        IAsyncEnumerator<PeerSetChange> changes = _discovery.WatchAsync(_stopping.Token).GetAsyncEnumerator(CancellationToken.None);
        bool first = false;
        Exception? failure = null;
        try
        {
            // A start cancelled while waiting stops the node anyway: it ends the watch the same way.
            using (startCancellation.Register(static state => ((CancellationTokenSource)state!).Cancel(), _stopping))
            {
                first = await changes.MoveNextAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            failure = e;
        }

        if (first && !startCancellation.IsCancellationRequested)
        {
            Follow(changes.Current);
            return changes;
        }

        await changes.DisposeAsync().ConfigureAwait(false);
        startCancellation.ThrowIfCancellationRequested();
        if (failure is not null)
        {
            // As for a failure later on: the node runs without the discovery's news.
            PeerEngineLog.DiscoveryFailed(_logger, failure);
        }

        return null;
    }

    private async Task WatchPeersAsync(IAsyncEnumerator<PeerSetChange> changes, CancellationToken cancellationToken)
    {
        try
        {
            while (await changes.MoveNextAsync().ConfigureAwait(false))
            {
                Follow(changes.Current);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception e)
        {
            // A discovery backend's failure must not fail the node's stop: the node keeps the peers it
            // knew, and the connections' own keep-alives decide who is dead.
            PeerEngineLog.DiscoveryFailed(_logger, e);
        }
        finally
        {
            await changes.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Takes a change of the peer set: records that cannot be dialled are skipped with a log line.</summary>
    private void Follow(PeerSetChange change)
    {
        var peers = new Dictionary<string, PeerRecord>(StringComparer.Ordinal);
        foreach (PeerRecord peer in change.Peers)
        {
            if (peer.Id == Id || !IsDiallable(peer))
            {
                continue;
            }

            if (!peers.TryAdd(peer.Id, peer))
            {
                // Two live records with one id (a discovery that does not enforce uniqueness): the
                // most recently seen one is taken, as the likelier to be alive.
                PeerEngineLog.DuplicatePeerRecord(_logger, peer.Id);
                if (peer.LastSeen > peers[peer.Id].LastSeen)
                {
                    peers[peer.Id] = peer;
                }
            }
        }

        _peers = peers;
        foreach (PeerRecord gone in change.Removed)
        {
            if (gone.Id != Id && !peers.ContainsKey(gone.Id))
            {
                Forget(gone);
            }
        }

        foreach (PeerRecord added in change.Added)
        {
            if (added.Id != Id && peers.TryGetValue(added.Id, out PeerRecord kept) && kept == added)
            {
                Welcome(added);
            }
        }
    }

    private bool IsDiallable(in PeerRecord peer)
    {
        if (PeerAddress.TryFromRecord(peer, _options.PreferUnixSockets, out _, out string? problem))
        {
            return true;
        }

        PeerEngineLog.UndiallablePeerRecord(_logger, peer.Id, problem);
        return false;
    }

    private void Welcome(PeerRecord peer)
    {
        if (_pools.TryGetValue(peer.Id, out PeerConnectionPool? pool) && TryGetEndPoint(peer, out EndPoint? endPoint))
        {
            pool.UpdateEndPoint(endPoint);
        }

        Raise(PeerJoined, peer);
    }

    private void Forget(PeerRecord peer)
    {
        if (_pools.TryRemove(peer.Id, out PeerConnectionPool? pool))
        {
            // Gone from the registry. A graceful leaver unpublishes first and then drains, so the
            // requests it is answering must be let finish: close as it does (GOODBYE, drain). A dead
            // one's connections were reset by its kernel, and their requests have failed already.
            _ = pool.CloseAsync(_options.Connections.DrainTimeout);
        }

        Raise(PeerLeft, peer);
    }

    private void Raise(EventHandler<PeerRecord>? handler, PeerRecord peer)
    {
        try
        {
            handler?.Invoke(this, peer);
        }
        catch (Exception e)
        {
            // An application's event handler must not stop the node from following its peers.
            PeerEngineLog.EventHandlerFailed(_logger, e);
        }
    }

    /// <summary>Finds a live peer, from the watched set or, when the watch has not caught up yet, the registry itself.</summary>
    private bool TryFindPeer(string peerId, out PeerRecord peer)
    {
        if (_peers.TryGetValue(peerId, out peer))
        {
            return true;
        }

        foreach (PeerRecord candidate in _discovery?.Discover() ?? [])
        {
            if (candidate.Id == peerId && candidate.Id != Id && IsDiallable(candidate))
            {
                peer = candidate;
                return true;
            }
        }

        return false;
    }

    private bool TryGetEndPoint(in PeerRecord peer, [NotNullWhen(true)] out EndPoint? endPoint)
    {
        bool diallable = PeerAddress.TryFromRecord(peer, _options.PreferUnixSockets, out PeerAddress? address, out _);
        endPoint = address?.EndPoint;
        return diallable;
    }
}
