using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using PeerEngine.Diagnostics;
using PeerEngine.Framing;
using PeerEngine.Transport.Tls.Internal;

namespace PeerEngine.Transport.Tls;

/// <summary>
/// Mutual TLS 1.3 on every connection of a node (the wire protocol's "Transport security"): the
/// listener speaks TLS first, both sides present a certificate and verify the other's against the
/// configured trust, and the peer's HELLO id must be one its certificate names. On an accepted
/// connection that check runs here, before the protocol answers the HELLO, so a refused peer gets
/// ERROR 1 alone; on a dialled connection the connector checks it through <see cref="IPeerIdentity"/>.
/// </summary>
internal sealed class TlsMiddleware : IConnectionMiddleware
{
    private readonly PeerTlsOptions _options;
    private readonly TlsCredentialSource _credentials;
    private readonly FrameReader _frames;
    private readonly TimeSpan _handshakeTimeout;
    private readonly long _maxReceiveBufferSize;
    private readonly long _maxSendBufferSize;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly PeerEngineMetrics _metrics;
    private int _pending;

    /// <param name="options">The node's TLS settings.</param>
    /// <param name="limits">The protocol's limits that apply inside TLS too: the largest frame, the handshake timeout, the send buffer.</param>
    /// <param name="loggerFactory">Where refusals and reloads are logged.</param>
    /// <param name="time">The clock.</param>
    /// <param name="metrics">The instruments to record on.</param>
    /// <exception cref="ArgumentException">An option is invalid, or a file cannot be used; the message names it.</exception>
    public TlsMiddleware(PeerTlsOptions options, (int MaxPayloadLength, TimeSpan HandshakeTimeout, int MaxSendBufferSize) limits, ILoggerFactory loggerFactory, TimeProvider time, PeerEngineMetrics metrics)
    {
        options.Validate();
        _options = options;
        _time = time;
        _logger = loggerFactory.CreateLogger("PeerEngine.Tls");
        _metrics = metrics;
        _frames = new FrameReader(limits.MaxPayloadLength);
        _handshakeTimeout = limits.HandshakeTimeout;
        _maxReceiveBufferSize = TransportSettings.ReceiveBufferFor(limits.MaxPayloadLength);
        _maxSendBufferSize = limits.MaxSendBufferSize;
        _credentials = new TlsCredentialSource(options, time, _logger);
    }

    /// <summary>
    /// The middleware for a node: loads the certificate now, so a bad file fails the node's
    /// constructor, and checks that the certificate names the node's id.
    /// </summary>
    /// <param name="options">The node's TLS settings.</param>
    /// <param name="nodeId">The node's configured id, or <see langword="null"/> to take the certificate's first.</param>
    /// <param name="limits">The protocol's limits that apply inside TLS too.</param>
    /// <param name="loggerFactory">Where refusals and reloads are logged.</param>
    /// <param name="time">The clock.</param>
    /// <param name="metrics">The instruments to record on.</param>
    /// <exception cref="ArgumentException">An option or file is invalid, or the certificate does not name the node.</exception>
    public static TlsMiddleware ForNode(
        PeerTlsOptions options, string? nodeId, (int MaxPayloadLength, TimeSpan HandshakeTimeout, int MaxSendBufferSize) limits,
        ILoggerFactory loggerFactory, TimeProvider time, PeerEngineMetrics metrics)
    {
        var middleware = new TlsMiddleware(options, limits, loggerFactory, time, metrics);
        string[] named = middleware.LocalIds;
        if (named.Length == 0)
        {
            throw new ArgumentException("The TLS certificate names no valid node id (a 'peerengine:ID' URI or its common name).", nameof(options));
        }

        if (nodeId is not null && !CertificateIdentity.Names(named, nodeId))
        {
            throw new ArgumentException(
                $"Option NodeId '{nodeId}' is not an id the TLS certificate names ({CertificateIdentity.Describe(named)}).", nameof(options));
        }

        return middleware;
    }

    /// <summary>The ids this node's certificate names now; the first is its id when none is configured.</summary>
    public string[] LocalIds => _credentials.Current.Ids;

    /// <summary>Accepted connections in their TLS handshake or waiting for their HELLO now.</summary>
    public int PendingHandshakes => Volatile.Read(ref _pending);

    public async ValueTask<TransportConnection> OnAcceptedAsync(TransportConnection connection, CancellationToken cancellationToken)
    {
        long started = _time.GetTimestamp();
        if (Interlocked.Increment(ref _pending) > _options.MaxPendingHandshakes)
        {
            Interlocked.Decrement(ref _pending);
            throw Refuse(connection.RemoteEndPoint, "handshake_limit",
                $"{_options.MaxPendingHandshakes} connections are already in their TLS handshake (option MaxPendingHandshakes)");
        }

        try
        {
            TlsCredentials credentials = _credentials.Current;
            var verdict = new Verdict();
            var tls = new SslStream(new PipeStream(connection.Input, connection.Output), leaveInnerStreamOpen: false);
            var server = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = credentials.Context,
                ClientCertificateRequired = true,
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                CertificateChainPolicy = credentials.ChainPolicy(peerIsClient: true, _time.GetUtcNow()),

                // Every connection is a full mutual handshake. A resumed TLS 1.3 session can come back
                // without the client's certificate on Linux (dotnet/runtime#123238), and a peer is
                // never admitted without one; pooled connections make handshakes rare anyway.
                AllowTlsResume = false,
                RemoteCertificateValidationCallback = (_, certificate, chain, _) => Check(credentials, certificate, chain, peerIsClient: true, verdict),
            };

            try
            {
                await tls.AuthenticateAsServerAsync(server, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                string why = e is OperationCanceledException
                    ? "the TLS handshake did not complete within the handshake timeout (option HandshakeTimeout)"
                    : verdict.Problem ?? TlsFailures.Explain(e);
                throw Refuse(connection.RemoteEndPoint, e is OperationCanceledException ? "timeout" : "handshake", why, e);
            }

            // Resumption is off (above), and a peer without a certificate is never admitted, whatever
            // the TLS library decided.
            if (tls.RemoteCertificate is not X509Certificate2 peerCertificate)
            {
                await tls.DisposeAsync().ConfigureAwait(false);
                throw Refuse(connection.RemoteEndPoint, "no_certificate", "the peer presented no certificate");
            }

            var wrapped = new TlsConnection(connection, tls, _maxReceiveBufferSize, _maxSendBufferSize);
            wrapped.Start(CertificateIdentity.NamedIds(peerCertificate));
            await AdmitHelloAsync(wrapped, started, cancellationToken).ConfigureAwait(false);
            return wrapped;
        }
        finally
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    public async ValueTask<TransportConnection> OnConnectedAsync(TransportConnection connection, EndPoint remote, CancellationToken cancellationToken)
    {
        TlsCredentials credentials = _credentials.Current;
        var verdict = new Verdict();
        var tls = new SslStream(new PipeStream(connection.Input, connection.Output), leaveInnerStreamOpen: false);
        var client = new SslClientAuthenticationOptions
        {
            TargetHost = string.Empty, // peers are named by node id, checked against the HELLO, not by host name
            ClientCertificateContext = credentials.Context,
            EnabledSslProtocols = SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = credentials.ChainPolicy(peerIsClient: false, _time.GetUtcNow()),
            AllowTlsResume = false, // as on the accepting side: a full mutual handshake each time
            RemoteCertificateValidationCallback = (_, certificate, chain, _) => Check(credentials, certificate, chain, peerIsClient: false, verdict),
        };

        try
        {
            await tls.AuthenticateAsClientAsync(client, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            string why = verdict.Problem ?? TlsFailures.Explain(e);
            PeerEngineLog.TlsRefused(_logger, remote, why);
            _metrics.TlsRefused(outbound: true, "handshake");
            throw new AuthenticationException($"The TLS handshake with {remote} failed: {why}.", e);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        if (tls.RemoteCertificate is not X509Certificate2 peerCertificate)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new AuthenticationException($"The TLS handshake with {remote} failed: the peer presented no certificate.");
        }

        var wrapped = new TlsConnection(connection, tls, _maxReceiveBufferSize, _maxSendBufferSize);
        wrapped.Start(CertificateIdentity.NamedIds(peerCertificate));
        return wrapped;
    }

    private bool Check(TlsCredentials credentials, X509Certificate? certificate, X509Chain? chain, bool peerIsClient, Verdict verdict)
    {
        if (certificate is not X509Certificate2 peer)
        {
            verdict.Problem = "the peer presented no certificate";
            return false;
        }

        if (!credentials.Trusts(peer, chain, peerIsClient, _time.GetUtcNow(), out string problem))
        {
            verdict.Problem = problem;
            return false;
        }

        return true;
    }

    /// <summary>
    /// Waits for the peer's first frame and, when it is a HELLO, checks its id against the peer's
    /// certificate and the authorisation hook. The frame stays unread for the protocol, which answers
    /// it (and every other first frame) as always. A refused HELLO gets ERROR 1 alone, inside TLS.
    /// </summary>
    private async ValueTask AdmitHelloAsync(TlsConnection connection, long started, CancellationToken cancellationToken)
    {
        PipeReader input = connection.Input;
        string? refusal = null;
        string reason = "id_mismatch";
        ErrorCode code = ErrorCode.ProtocolViolation;
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                ReadOnlySequence<byte> rest = buffer;
                FrameReadStatus status = _frames.TryRead(ref rest, out Frame frame, out _);
                if (status == FrameReadStatus.Incomplete && !result.IsCompleted && !result.IsCanceled)
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }

                if (status == FrameReadStatus.Complete && frame.Kind == FrameKind.Hello && !HelloPayload.Parse(frame, out string helloId).IsError)
                {
                    if (!connection.Names(helloId))
                    {
                        refusal = $"the peer says it is '{helloId}' but its certificate names {connection.NamedIds}";
                    }
                    else if (_options.AuthorizePeer is { } authorize && !authorize(helloId))
                    {
                        refusal = $"peer '{helloId}' is not authorized to connect";
                        reason = "not_authorized";
                    }
                }

                // Nothing consumed, nothing marked examined: the protocol's first read returns this frame at once.
                input.AdvanceTo(buffer.Start);
                break;
            }
        }
        catch (OperationCanceledException)
        {
            bool timedOut = _time.GetElapsedTime(started) >= _handshakeTimeout;
            refusal = timedOut ? "no HELLO within the handshake timeout (option HandshakeTimeout)" : "the node is stopping";
            reason = "timeout";
            code = timedOut ? ErrorCode.HandshakeTimeout : 0;
        }
        catch (Exception e) when (e is IOException or AuthenticationException)
        {
            refusal = TlsFailures.Explain(e);
            reason = "handshake";
            code = 0;
        }

        if (refusal is null)
        {
            return;
        }

        if (code != 0)
        {
            FrameWriter.WriteError(connection.Output, 0, code, refusal);
        }

        // The ERROR, then close_notify, then the close; a peer that does not take them is cut.
        try
        {
            await connection.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(1), _time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            connection.Abort();
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        throw Refuse(connection.RemoteEndPoint, reason, refusal);
    }

    private ConnectionRefusedException Refuse(EndPoint? remote, string reason, string why, Exception? cause = null)
    {
        PeerEngineLog.TlsRefused(_logger, remote, why);
        _metrics.TlsRefused(outbound: false, reason);
        return cause is null ? new ConnectionRefusedException(why) : new ConnectionRefusedException(why, cause);
    }

    /// <summary>What this side's certificate check found, for the refusal's message.</summary>
    private sealed class Verdict
    {
        public string? Problem { get; set; }
    }
}
