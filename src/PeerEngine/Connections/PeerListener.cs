using System.Net;
using Microsoft.Extensions.Logging;
using PeerEngine.Connections.Internal;
using PeerEngine.Diagnostics;
using PeerEngine.Transport;
using PeerEngine.Transport.Sockets;

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

    /// <summary>Binds a socket listener (TCP endpoint or <see cref="System.Net.Sockets.UnixDomainSocketEndPoint"/>) and starts accepting.</summary>
    public static PeerListener Start(EndPoint endPoint, ConnectionSettings settings, PeerListenerOptions? options = null)
    {
        options ??= new PeerListenerOptions();
        options.Validate();
        SocketListener socket = SocketListener.Bind(endPoint, options.ListenBacklog, settings.SocketOptions, settings.Logger, settings.Time, settings.Metrics);
        var listener = new PeerListener(socket, settings, options);
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
        PeerConnection connection;
        lock (_connections)
        {
            int active = _connections.Count;
            if (active >= _options.MaxConnections)
            {
                // Refused at once rather than queued, as Kestrel does: the peer learns now, and an
                // accepted-but-unserved connection would hold a descriptor for nothing.
                Interlocked.Increment(ref _rejected);
                _settings.Metrics.RejectedConnections.Add(1);
                PeerEngineLog.ConnectionRejected(_settings.Logger, transport.RemoteEndPoint, active, _options.MaxConnections);
                transport.Abort();
                transport.Input.Complete(); // no connection will read it: its pipe's blocks go back
                _ = transport.DisposeAsync().AsTask();
                return;
            }

            connection = _settings.Create(transport, ConnectionRole.Accepting);
            _connections.Add(connection);
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
