using System.Net;
using PeerEngine.Node;

namespace PeerEngine.Benchmarks.EndToEnd.Servers;

/// <summary>
/// The PeerEngine side: a <see cref="PeerNode"/> with the echo handler, listening on TCP
/// (127.0.0.1, a free port) and on a Unix socket, as an application would run it. The client finds
/// it by the address the runner passes, not through a registry, so the node does not discover
/// (<see cref="PeerNodeOptions.Discover"/> off): no registry file, no heartbeat timer.
/// </summary>
internal sealed class PeerEngineServer : IEchoServer
{
    private readonly PeerNode _node;

    private PeerEngineServer(PeerNode node) => _node = node;

    public EndPoint EndPoint => _node.TcpEndPoint!;

    /// <param name="unixSocketPath">The Unix socket to listen on besides TCP.</param>
    /// <remarks>
    /// The node's defaults: the handlers run in the protocol loop on the pool thread of the receive
    /// (<see cref="Connections.PeerConnectionOptions.InlineHandlers"/>); where the runner sets
    /// DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1, the loops run on the socket engine's thread and
    /// each receive's handlers are handed to the pool from there.
    /// </remarks>
    /// <param name="tls">Mutual TLS on every connection, or <see langword="null"/> for plain bytes.</param>
    public static async Task<PeerEngineServer> StartAsync(string unixSocketPath, PeerTlsOptions? tls = null)
    {
        var options = new PeerNodeOptions { NodeId = TlsFiles.ServerId, UnixSocketPath = unixSocketPath, Discover = false, Tls = tls };
        options.SharedMemory.SpinDuration = RingSpin.FromEnvironment(options.SharedMemory.SpinDuration);
        options.Connections.InlineHandlers = Environment.GetEnvironmentVariable(Runner.ServerSpec.HandoffVariable) != "1";
        var node = new PeerNode(options) { RequestHandler = EchoHandler.FromEnvironment() };
        await node.StartAsync().ConfigureAwait(false);
        return new PeerEngineServer(node);
    }

    public ValueTask DisposeAsync() => _node.DisposeAsync();
}
