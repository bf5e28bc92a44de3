using System.Net;
using System.Runtime.CompilerServices;
using PeerEngine.Node;
using PeerEngine.Registry;

namespace PeerEngine.Benchmarks.EndToEnd.Servers;

/// <summary>
/// The PeerEngine side: a <see cref="PeerNode"/> with the echo handler, listening on TCP
/// (127.0.0.1, a free port) and on a Unix socket, as an application would run it. The client finds
/// it by the address the runner passes, not through a registry, so the node publishes nowhere
/// (<see cref="UnlistedDiscovery"/>): no registry file, no heartbeat timer.
/// </summary>
internal sealed class PeerEngineServer : IEchoServer
{
    private readonly PeerNode _node;

    private PeerEngineServer(PeerNode node) => _node = node;

    public EndPoint EndPoint => _node.TcpEndPoint!;

    /// <param name="unixSocketPath">The Unix socket to listen on besides TCP.</param>
    /// <param name="lowLatency">
    /// The low-latency mode (with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1 set by the runner):
    /// the handlers of each receive run inline on the protocol loop, which itself always runs inline
    /// on the receive completion (<see cref="Connections.PeerConnectionOptions.InlineHandlers"/>; the
    /// echo is quick and never blocks): no thread hop between a receive and its answers.
    /// </param>
    public static async Task<PeerEngineServer> StartAsync(string unixSocketPath, bool lowLatency)
    {
        var options = new PeerNodeOptions { NodeId = "peerengine-server", UnixSocketPath = unixSocketPath };
        options.Connections.InlineHandlers = lowLatency;
        var node = new PeerNode(options, new UnlistedDiscovery()) { RequestHandler = EchoHandler.Echo };
        await node.StartAsync().ConfigureAwait(false);
        return new PeerEngineServer(node);
    }

    public ValueTask DisposeAsync() => _node.DisposeAsync();

    /// <summary>Discovery that publishes nowhere and finds no one: the benchmark's client is given the address.</summary>
    private sealed class UnlistedDiscovery : IPeerDiscovery
    {
        public ValueTask<IPeerRegistration> PublishAsync(PeerAnnouncement peer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult<IPeerRegistration>(new Registration(new PeerRecord(peer.Id, peer.Host, peer.Port, peer.Transport, peer.UnixPath, Environment.ProcessId, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow)));

        public int Discover(Span<PeerRecord> destination) => 0;

        public IReadOnlyList<PeerRecord> Discover() => [];

        public async IAsyncEnumerable<PeerSetChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            // The empty set at once (the node's start waits for the first set), then never a change.
            yield return new PeerSetChange([], [], []);
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }

        private sealed class Registration(PeerRecord peer) : IPeerRegistration
        {
            public PeerRecord Peer { get; } = peer;

            public void Heartbeat()
            {
            }

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
