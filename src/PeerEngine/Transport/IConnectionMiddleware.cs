using System.Net;

namespace PeerEngine.Transport;

/// <summary>
/// Wraps a transport connection before the protocol starts on it (TLS is one): it may exchange bytes
/// of its own first, and returns the connection the protocol is to use, usually a wrapper around the
/// one it was given. A middleware that throws closes that connection only.
/// </summary>
internal interface IConnectionMiddleware
{
    /// <summary>A connection a listener accepted.</summary>
    ValueTask<TransportConnection> OnAcceptedAsync(TransportConnection connection, CancellationToken cancellationToken);

    /// <summary>A connection this node opened to <paramref name="remote"/>.</summary>
    ValueTask<TransportConnection> OnConnectedAsync(TransportConnection connection, EndPoint remote, CancellationToken cancellationToken);
}
