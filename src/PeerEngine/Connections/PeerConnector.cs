using System.Net;
using PeerEngine.Connections.Internal;
using PeerEngine.Diagnostics;
using PeerEngine.Transport;

namespace PeerEngine.Connections;

/// <summary>Opens connections to peers and completes their handshake.</summary>
internal sealed class PeerConnector(IConnectionConnector connector, ConnectionSettings settings)
{
    /// <summary>
    /// Connects to <paramref name="endPoint"/> and returns once the peer's HELLO has arrived, within the
    /// handshake timeout (connect included) and <paramref name="cancellationToken"/>.
    /// </summary>
    /// <exception cref="ConnectionLostException">The peer refused, broke or ended the handshake.</exception>
    /// <exception cref="TimeoutException">The connect and handshake took longer than the handshake timeout.</exception>
    public async Task<PeerConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
    {
        using var deadline = new CancellationTokenSource(settings.Options.HandshakeTimeout, settings.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        TransportConnection transport;
        try
        {
            transport = await connector.ConnectAsync(endPoint, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw TookTooLong(endPoint);
        }

        if (settings.Middleware.Count > 0)
        {
            try
            {
                transport = await ConnectionMiddlewareChain.WrapAsync(settings, transport, endPoint, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw TookTooLong(endPoint);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new ConnectionLostException(ShutdownReason.SetupFailed, e);
            }
        }

        PeerConnection connection = settings.Create(transport, ConnectionRole.Connecting);
        connection.Start();

        // The connection's own heartbeat enforces the handshake timeout (ERROR 8, then close), which
        // faults Handshaken; the caller's token is the only other way out.
        try
        {
            await connection.WaitForHandshakeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectionLostException e) when (transport is IPeerIdentity tls && e.Reason is ShutdownReason.PeerClosed or ShutdownReason.ConnectionReset)
        {
            // In TLS 1.3 the server judges the client's certificate after the client's handshake has
            // completed: its refusal is the end of the connection before its HELLO, with an alert when
            // the TLS library reads one. Either way it is told as what it is.
            string why = tls.ExplainRefusal()
                ?? "the peer closed the connection before its HELLO (it may not accept this node's certificate or id: its log says which)";
            throw new ConnectionLostException(ShutdownReason.SetupFailed, new System.Security.Authentication.AuthenticationException(
                $"The TLS handshake with {endPoint} failed: {why}.", e));
        }

        if (transport is IPeerIdentity identity && !identity.Names(connection.RemoteNodeId))
        {
            // The peer's HELLO claims an id its certificate does not name: closed without a frame.
            string why = $"{endPoint} says it is '{connection.RemoteNodeId}' but its certificate names {identity.NamedIds}";
            PeerEngineLog.PeerIdentityRefused(settings.Logger, endPoint, why);
            settings.Metrics.TlsRefused(outbound: true, "id_mismatch");
            connection.Abort(ShutdownReason.SetupFailed);
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new ConnectionLostException(ShutdownReason.SetupFailed, new System.Security.Authentication.AuthenticationException(why + "."));
        }

        return connection;
    }

    private static TimeoutException TookTooLong(EndPoint endPoint) =>
        new($"Connecting to {endPoint} took longer than the handshake timeout (option HandshakeTimeout).");
}
