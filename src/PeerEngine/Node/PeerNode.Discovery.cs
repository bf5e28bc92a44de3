using System.Net;
using System.Net.Sockets;
using PeerEngine.ConnectionPool;
using PeerEngine.Diagnostics;
using PeerEngine.Registry;

namespace PeerEngine.Node;

public sealed partial class PeerNode
{
    private volatile Dictionary<string, PeerRecord> _peers = new(StringComparer.Ordinal);

    /// <summary>A peer appeared in the registry (or came back at a new address).</summary>
    public event EventHandler<PeerRecord>? PeerJoined;

    /// <summary>A peer left the registry: it stopped, or died and expired.</summary>
    public event EventHandler<PeerRecord>? PeerLeft;

    /// <summary>The live peers the node knows of, itself excluded (a snapshot).</summary>
    public IReadOnlyCollection<PeerRecord> Peers => _peers.Values;

    /// <summary>Checks the node: running, still live in its registry, every pool able to connect.</summary>
    public PeerNodeHealth CheckHealth()
    {
        bool running = IsRunning;
        bool published = running && (!_options.Listen || (_discovery is not null && _discovery.Discover().Any(p => p.Id == Id)));
        string[] unreachable = [.. _pools.Values.Where(p => p.IsBackingOff).Select(p => p.PeerId)];
        return new PeerNodeHealth(running, published, _peers.Count, unreachable);
    }

    private async Task WatchPeersAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (PeerSetChange change in _discovery!.WatchAsync(cancellationToken).ConfigureAwait(false))
            {
                Dictionary<string, PeerRecord> peers = change.Peers.Where(p => p.Id != Id).ToDictionary(p => p.Id, StringComparer.Ordinal);
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
                    if (added.Id != Id)
                    {
                        Welcome(added);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (PeerRegistryException e)
        {
            PeerEngineLog.DiscoveryFailed(_logger, e);
        }
    }

    private void Welcome(PeerRecord peer)
    {
        if (_pools.TryGetValue(peer.Id, out PeerConnectionPool? pool))
        {
            pool.UpdateEndPoint(EndPointOf(peer));
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
            if (candidate.Id == peerId && candidate.Id != Id)
            {
                peer = candidate;
                return true;
            }
        }

        return false;
    }

    private EndPoint EndPointOf(in PeerRecord peer) =>
        peer.UnixPath is { } path && (_options.PreferUnixSockets || peer.Transport == PeerTransport.UnixSocket)
            ? new UnixDomainSocketEndPoint(path)
            : new IPEndPoint(IPAddress.Parse(peer.Host), peer.Port);
}
