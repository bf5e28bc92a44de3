using System.Net;
using PeerEngine.Connections.Internal;
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
        await connection.WaitForHandshakeAsync(cancellationToken).ConfigureAwait(false);
        return connection;
    }

    private static TimeoutException TookTooLong(EndPoint endPoint) =>
        new($"Connecting to {endPoint} took longer than the handshake timeout (option HandshakeTimeout).");
}
