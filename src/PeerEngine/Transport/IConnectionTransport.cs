using System.Net;

namespace PeerEngine.Transport;

/// <summary>
/// A way to carry byte streams between peers: it listens on and connects to endpoints of its kind.
/// The node chooses one per kind of address; the protocol layer sees only its connections.
/// </summary>
internal interface IConnectionTransport : IConnectionConnector
{
    /// <summary>Binds <paramref name="endPoint"/> and listens on it.</summary>
    /// <exception cref="IOException">The endpoint cannot be listened on; the message names it.</exception>
    IConnectionListener Listen(EndPoint endPoint, int backlog);
}

/// <summary>Makes a node's transport from the settings its connections need.</summary>
internal delegate IConnectionTransport TransportFactory(TransportSettings settings);
