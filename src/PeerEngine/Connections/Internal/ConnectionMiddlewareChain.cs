using System.Net;
using PeerEngine.Transport;

namespace PeerEngine.Connections.Internal;

/// <summary>Passes a new transport connection through the configured middleware, in order.</summary>
internal static class ConnectionMiddlewareChain
{
    /// <summary>
    /// The connection the protocol is to run on: <paramref name="connection"/> as each middleware in
    /// turn wrapped it. <paramref name="remote"/> is the endpoint dialled, or <c>null</c> for an accepted
    /// connection. When a middleware fails, the connection it was given is aborted and released, and
    /// its exception propagates.
    /// </summary>
    public static async ValueTask<TransportConnection> WrapAsync(
        ConnectionSettings settings, TransportConnection connection, EndPoint? remote, CancellationToken cancellationToken)
    {
        foreach (IConnectionMiddleware middleware in settings.Middleware)
        {
            try
            {
                connection = remote is null
                    ? await middleware.OnAcceptedAsync(connection, cancellationToken).ConfigureAwait(false)
                    : await middleware.OnConnectedAsync(connection, remote, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await connection.DiscardAsync().ConfigureAwait(false);
                throw;
            }
        }

        return connection;
    }
}
