using PeerEngine.Transport.Sockets;

namespace PeerEngine.Transport;

/// <summary>The transports a node can be given.</summary>
internal static class Transports
{
    /// <summary>TCP and Unix domain sockets: what a node uses unless it is given another transport.</summary>
    public static TransportFactory Sockets { get; } = static settings => new SocketTransport(settings);
}
