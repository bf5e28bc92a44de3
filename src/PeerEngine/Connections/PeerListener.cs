using System.Net;
using Microsoft.Extensions.Logging;
using PeerEngine.Connections.Internal;
using PeerEngine.Diagnostics;
using PeerEngine.Transport;

namespace PeerEngine.Connections;

/// <summary>
/// Accepts peers on one endpoint and serves each on a <see cref="PeerConnection"/>, up to
/// <see cref="PeerListenerOptions.MaxConnections"/> at once.
/// </summary>
internal sealed class PeerListener : IAsyncDisposable
{
    private static readonly TimeSpan AcceptFailureBackoff = TimeSpan.FromMilliseconds(100);

    private readonly IConnectionListener _listener;
    private readonly ConnectionSettings _settings;
    private readonly PeerListenerOptions _options;
    private readonly HashSet<PeerConnection> _connections = [];
    private readonly CancellationTokenSource _stopping = new();
    private readonly Action<PeerConnection> _forget;
    private Task _accepting = Task.CompletedTask;
    private long _rejected;
    private int _wrapping; // accepted, in their connection middleware: they count against the cap
    private bool _stopped;

    public PeerListener(IConnectionListener listener, ConnectionSettings settings, PeerListenerOptions options)
    {
        options.Validate();
        _listener = listener;
        _settings = settings;
        _options = options;
        _forget = Forget;
    }

    /// <summary>The bound endpoint (with the real port when port 0 was asked for).</summary>
    public EndPoint EndPoint => _listener.EndPoint;

    /// <summary>Connections open now.</summary>
    public int ConnectionCount
    {
        get
        {
            lock (_connections)
            {
                return _connections.Count;
            }
        }
    }

    /// <summary>The connections open now (a snapshot).</summary>
    public IReadOnlyList<PeerConnection> Connections
    {
        get
        {
            lock (_connections)
            {
                return [.. _connections];
            }
        }
    }

    /// <summary>Connections refused at the limit since the listener started.</summary>
    public long RejectedConnections => Interlocked.Read(ref _rejected);

    /// <summary>Listens on <paramref name="endPoint"/> through <paramref name="transport"/> and starts accepting.</summary>
    /// <exception cref="IOException">The endpoint cannot be listened on; the message names it.</exception>
    public static PeerListener Start(IConnectionTransport transport, EndPoint endPoint, ConnectionSettings settings, PeerListenerOptions? options = null)
    {
        options ??= new PeerListenerOptions();
        options.Validate();
        var listener = new PeerListener(transport.Listen(endPoint, options.ListenBacklog), settings, options);
        listener.Start();
        return listener;
    }

    public void Start()
    {
        // Like every loop that outlives its caller: no execution context of whoever started it.
        using (ExecutionContext.SuppressFlow())
        {
            _accepting = AcceptLoopAsync();
        }
    }

    /// <summary>Stops accepting, closes every connection gracefully within the drain timeout, and releases the endpoint.</summary>
    public async Task StopAsync(TimeSpan? drainTimeout = null)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _accepting.ConfigureAwait(false);
        PeerConnection[] open;
        lock (_connections)
        {
            _stopped = true;
            open = [.. _connections];
        }

        await Task.WhenAll(open.Select(c => c.CloseAsync(drainTimeout))).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.Zero).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TransportConnection? transport;
            try
            {
                transport = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (Exception e)
            {
                // Whatever failed (the runtime itself can fail at the descriptor limit), a listener
                // that stopped accepting would leave the node up and unreachable: log, wait, go on.
                if (!await BackOffAfterAsync(e).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            if (transport is null)
            {
                return;
            }

            Admit(transport);
        }
    }

    /// <summary>Logs an accept failure and waits <see cref="AcceptFailureBackoff"/>; false once stopping.</summary>
    private async Task<bool> BackOffAfterAsync(Exception failure)
    {
        PeerEngineLog.AcceptFailed(_settings.Logger, _listener.EndPoint, AcceptFailureBackoff.TotalMilliseconds, failure);
        try
        {
            await Task.Delay(AcceptFailureBackoff, _settings.Time, _stopping.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void Admit(TransportConnection transport)
    {
        bool wrap = _settings.Middleware.Count > 0;
        PeerConnection? connection = null;
        lock (_connections)
        {
            int active = _connections.Count + _wrapping;
            if (active >= _options.MaxConnections)
            {
                // Refused at once rather than queued, as Kestrel does: the peer learns now, and an
                // accepted-but-unserved connection would hold a descriptor for nothing.
                Interlocked.Increment(ref _rejected);
                _settings.Metrics.RejectedConnections.Add(1);
                PeerEngineLog.ConnectionRejected(_settings.Logger, transport.RemoteEndPoint, active, _options.MaxConnections);
                _ = transport.DiscardAsync().AsTask();
                return;
            }

            if (wrap)
            {
                _wrapping++;
            }
            else
            {
                connection = _settings.Create(transport, ConnectionRole.Accepting);
                _connections.Add(connection);
            }
        }

        if (connection is null)
        {
            _ = ServeWrappedAsync(transport);
            return;
        }

        connection.Start();
        connection.WhenClosed(_forget);
    }

    /// <summary>
    /// Runs the connection middleware off the accept loop (a TLS handshake takes round trips), within
    /// the handshake timeout, then serves the connection it returns. A failure costs this connection only.
    /// </summary>
    private async Task ServeWrappedAsync(TransportConnection accepted)
    {
        TransportConnection? wrapped = null;
        try
        {
            using var deadline = new CancellationTokenSource(_settings.Options.HandshakeTimeout, _settings.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, _stopping.Token);
            wrapped = await ConnectionMiddlewareChain.WrapAsync(_settings, accepted, remote: null, linked.Token).ConfigureAwait(false);
        }
        catch (ConnectionRefusedException)
        {
            // The middleware refused the peer and logged why (with its own event id and metric).
        }
        catch (Exception e)
        {
            // A peer that cannot complete the setup (or takes longer than the handshake timeout) is
            // a peer problem, not a listener problem: logged, and the connection is already closed.
            PeerEngineLog.ConnectionMiddlewareFailed(_settings.Logger, accepted.RemoteEndPoint, e);
        }

        PeerConnection? connection = null;
        lock (_connections)
        {
            _wrapping--;
            if (wrapped is not null && !_stopped)
            {
                connection = _settings.Create(wrapped, ConnectionRole.Accepting);
                _connections.Add(connection);
            }
        }

        if (connection is null)
        {
            if (wrapped is not null)
            {
                // Stopped while the middleware ran: the connection is closed, not served.
                await wrapped.DiscardAsync().ConfigureAwait(false);
            }

            return;
        }

        connection.Start();
        connection.WhenClosed(_forget);
    }

    private void Forget(PeerConnection closed)
    {
        lock (_connections)
        {
            _connections.Remove(closed);
        }
    }
}
