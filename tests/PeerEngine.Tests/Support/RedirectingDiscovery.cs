using System.Runtime.CompilerServices;
using PeerEngine.Registry;

namespace PeerEngine.Tests.Support;

/// <summary>
/// A node's view of a real registry in which chosen peers appear at another TCP port (a
/// <see cref="FaultProxy"/> in front of them): the node dials the proxy and, through it, the peer.
/// Publishing goes to the registry unchanged.
/// </summary>
internal sealed class RedirectingDiscovery(IPeerDiscovery registry, IReadOnlyDictionary<string, int> portsById) : IPeerDiscovery
{
    public ValueTask<IPeerRegistration> PublishAsync(PeerAnnouncement peer, CancellationToken cancellationToken = default) =>
        registry.PublishAsync(peer, cancellationToken);

    public int Discover(Span<PeerRecord> destination)
    {
        int count = registry.Discover(destination);
        for (int i = 0; i < Math.Min(count, destination.Length); i++)
        {
            destination[i] = Redirect(destination[i]);
        }

        return count;
    }

    public IReadOnlyList<PeerRecord> Discover() => [.. registry.Discover().Select(Redirect)];

    public async IAsyncEnumerable<PeerSetChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (PeerSetChange change in registry.WatchAsync(cancellationToken))
        {
            yield return new PeerSetChange([.. change.Peers.Select(Redirect)], [.. change.Added.Select(Redirect)], [.. change.Removed.Select(Redirect)]);
        }
    }

    // Over TCP only: a Unix socket would bypass the proxy.
    private PeerRecord Redirect(PeerRecord peer) => portsById.TryGetValue(peer.Id, out int port)
        ? peer with { Host = "127.0.0.1", Port = port, Transport = PeerTransport.Tcp, UnixPath = null }
        : peer;
}
