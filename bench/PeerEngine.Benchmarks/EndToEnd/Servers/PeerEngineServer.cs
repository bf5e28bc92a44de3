using System.Net;
using PeerEngine.Connections;
using PeerEngine.Connections.Internal;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Benchmarks.EndToEnd.Servers;

/// <summary>
/// The PeerEngine side: a <see cref="PeerListener"/> with an echo handler. The node (issue 5) is not
/// there yet; when it lands, this file alone becomes a PeerNode with the same handler.
/// </summary>
internal sealed class PeerEngineServer : IEchoServer
{
    private readonly ConnectionSettings _settings;
    private readonly PeerListener _listener;

    /// <param name="endPoint">TCP or Unix endpoint to listen on.</param>
    /// <param name="lowLatency">
    /// Run the protocol loop inline on the receive completion (<see cref="SocketTransportOptions.InlineReceiveContinuations"/>)
    /// instead of hopping to the thread pool: one hop less per receive, at the price of the socket
    /// thread parsing frames (the low-latency mode, with DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1).
    /// </param>
    public PeerEngineServer(EndPoint endPoint, bool lowLatency)
    {
        _settings = new ConnectionSettings("peerengine-server", new PeerConnectionOptions(), new ConnectionHandlers(EchoHandler.Echo, null));
        SocketTransportOptions socket = _settings.SocketOptions with { InlineReceiveContinuations = lowLatency };
        var options = new PeerListenerOptions();
        _listener = new PeerListener(SocketListener.Bind(endPoint, options.ListenBacklog, socket, _settings.Logger, _settings.Time, _settings.Metrics), _settings, options);
        _listener.Start();
    }

    public EndPoint EndPoint => _listener.EndPoint;

    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync().ConfigureAwait(false);
        _settings.Dispose();
    }
}
