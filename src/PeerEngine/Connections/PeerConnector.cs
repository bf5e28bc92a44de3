using System.Collections.Concurrent;
using System.Net;
using PeerEngine.Connections.Internal;
using PeerEngine.Diagnostics;
using PeerEngine.Framing;
using PeerEngine.Transport;

namespace PeerEngine.Connections;

/// <summary>Opens connections to peers and completes their handshake.</summary>
internal sealed class PeerConnector(IConnectionConnector connector, ConnectionSettings settings)
{
    /// <summary>
    /// How long a peer that refused version 2 is dialled with version 1 straight away. Bounded so that a
    /// peer upgraded in place is offered version 2 again within minutes; the cost of asking again is
    /// one refused handshake per peer per period.
    /// </summary>
    internal static readonly TimeSpan RememberVersion1For = TimeSpan.FromMinutes(5);

    /// <summary>Peers (by address) that answered a version-2 HELLO with ERROR 3, and when.</summary>
    private readonly ConcurrentDictionary<EndPoint, long> _version1Peers = new();

    /// <summary>
    /// Connects to <paramref name="endPoint"/> and returns once the peer's HELLO has arrived, within the
    /// handshake timeout (connect included) and <paramref name="cancellationToken"/>. A peer that refuses
    /// this node's highest version with ERROR 3 is dialled again with version 1, and remembered for a while.
    /// </summary>
    /// <exception cref="ConnectionLostException">The peer refused, broke or ended the handshake.</exception>
    /// <exception cref="TimeoutException">The connect and handshake took longer than the handshake timeout.</exception>
    public async Task<PeerConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ushort offered = VersionFor(endPoint);
        PeerConnection? connection = await ConnectAsync(endPoint, offered, cancellationToken).ConfigureAwait(false);
        if (connection is not null)
        {
            return connection;
        }

        PeerEngineLog.FallingBackToVersion1(settings.Logger, endPoint, offered);
        _version1Peers[endPoint] = settings.Time.GetTimestamp();
        return await ConnectAsync(endPoint, WireProtocol.Version, cancellationToken).ConfigureAwait(false)
            ?? throw new ConnectionLostException(ShutdownReason.PeerError);
    }

    /// <summary>The version to offer <paramref name="endPoint"/>: 1 to a peer that recently refused a higher one.</summary>
    private ushort VersionFor(EndPoint endPoint)
    {
        if (_version1Peers.TryGetValue(endPoint, out long since))
        {
            if (settings.Time.GetElapsedTime(since) < RememberVersion1For)
            {
                return WireProtocol.Version;
            }

            _version1Peers.TryRemove(new KeyValuePair<EndPoint, long>(endPoint, since));
        }

        return settings.HighestVersion;
    }

    /// <summary>One dial offering <paramref name="version"/>: the connection, or <c>null</c> when the peer refused the version.</summary>
    private async Task<PeerConnection?> ConnectAsync(EndPoint endPoint, ushort version, CancellationToken cancellationToken)
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
        connection.Negotiation.Offered = version;
        connection.Start();

        // The connection's own heartbeat enforces the handshake timeout (ERROR 8, then close), which
        // faults Handshaken; the caller's token is the only other way out.
        try
        {
            await connection.WaitForHandshakeAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ConnectionLostException) when (connection.Negotiation.VersionRefused && version > WireProtocol.Version)
        {
            return null;
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
