using System.Net;
using PeerEngine.Connections;
using PeerEngine.Diagnostics;
using PeerEngine.Node.Internal;
using PeerEngine.Transport;

namespace PeerEngine;

public sealed partial class PeerNode
{
    private readonly CancellationTokenSource _stopping = new();
    private volatile State _state;
    private IPeerRegistration? _registration;
    private Task _watching = Task.CompletedTask;
    private ITimer? _healthChecks;

    private enum State
    {
        Created,
        Starting,
        Running,
        Stopped,
    }

    /// <summary>
    /// Listens (TCP, and the Unix socket if configured), publishes this node to the registry, and
    /// starts watching the registry for peers. Returns once the node is published and reachable and
    /// knows the peers already there: <see cref="Peers"/> holds them, and <see cref="PeerJoined"/>
    /// has reported them to the handlers subscribed before this call.
    /// </summary>
    /// <exception cref="InvalidOperationException">The node was already started.</exception>
    /// <exception cref="IOException">The address (or Unix socket path) cannot be listened on; the message names it.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_state != State.Created)
        {
            throw new InvalidOperationException("A node starts once.");
        }

        _state = State.Starting;
        try
        {
            _settings = new ConnectionSettings(Id, _options.Connections, new ConnectionHandlers(_requestHandler, _messageHandler), _loggerFactory, _time, _metrics, _middleware);
            IConnectionTransport transport = _transportFactory(_settings.Transport);
            _connector = new PeerConnector(transport, _settings);
            _discovery = _options.Discover ? _discovery ?? CreateRegistry() : null;
            if (_options.Listen)
            {
                PeerListener tcp = PeerListener.Start(transport, new IPEndPoint(IPAddress.Parse(_options.Host), _options.Port), _settings, _options.Listener);
                _listeners = [tcp];
                TcpEndPoint = (IPEndPoint)tcp.EndPoint;
                if (_options.UnixSocketPath is { } unixPath)
                {
                    _listeners = [tcp, PeerListener.Start(transport, PeerAddress.Unix(unixPath).EndPoint, _settings, _options.Listener)];
                    UnixSocketPath = unixPath;
                }
                else if (_options.AutomaticUnixSocket && OperatingSystem.IsLinux() && _discovery is PeerRegistry registry && ListenOnAutomaticUnixSocket(transport, registry.FilePath) is { } automatic)
                {
                    _listeners = [tcp, automatic];
                }

                if (_discovery is not null)
                {
                    _registration = await _discovery.PublishAsync(Announcement(), cancellationToken).ConfigureAwait(false);
                }
            }

            IAsyncEnumerator<PeerSetChange>? changes = await FollowFirstPeerSetAsync(cancellationToken).ConfigureAwait(false);

            // The node's loop and timer run for its life: they must not carry the starter's execution
            // context (its AsyncLocals, logging scopes, span) into PeerJoined/PeerLeft handlers and logs.
            using (ExecutionContext.SuppressFlow())
            {
                _watching = changes is null ? Task.CompletedTask : WatchPeersAsync(changes, _stopping.Token);
                _healthChecks = _time.CreateTimer(static state => ((PeerNode)state!).CheckPoolHealth(), this, _options.Pool.HealthCheckInterval, _options.Pool.HealthCheckInterval);
            }
            _state = State.Running;
            LogStarted();
        }
        catch
        {
            await StopCoreAsync(TimeSpan.Zero).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The node's own Unix socket beside its registry file, so that the machine's other peers reach it
    /// without TCP (and through shared memory). Best effort: a node that cannot have one is still
    /// reached over TCP, and says why in the log.
    /// </summary>
    private PeerListener? ListenOnAutomaticUnixSocket(IConnectionTransport transport, string registryFile)
    {
        NodeUnixSockets.RemoveStale(Path.GetDirectoryName(registryFile) ?? "/");
        if (NodeUnixSockets.PathBeside(registryFile, out string? problem) is not { } path)
        {
            PeerEngineLog.NoAutomaticUnixSocket(_logger, Id, problem!);
            return null;
        }

        try
        {
            PeerListener listener = PeerListener.Start(transport, PeerAddress.Unix(path).EndPoint, _settings!, _options.Listener);
            UnixSocketPath = path;
            return listener;
        }
        catch (IOException e)
        {
            PeerEngineLog.NoAutomaticUnixSocket(_logger, Id, e.Message);
            return null;
        }
    }

    private void LogStarted()
    {
        if (TcpEndPoint is null)
        {
            PeerEngineLog.NodeStartedNotListening(_logger, Id);
        }
        else if (UnixSocketPath is null)
        {
            PeerEngineLog.NodeStarted(_logger, Id, TcpEndPoint);
        }
        else
        {
            PeerEngineLog.NodeStartedWithUnixSocket(_logger, Id, TcpEndPoint, UnixSocketPath);
        }
    }

    /// <summary>
    /// Stops gracefully: unpublishes at once (so no peer starts new work here), says GOODBYE on every
    /// connection, lets the work in flight both ways finish within the drain timeout, then closes.
    /// </summary>
    /// <param name="cancellationToken">Cuts the drain short: connections still busy are aborted.</param>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        TimeSpan drain = cancellationToken.IsCancellationRequested ? TimeSpan.Zero : _options.Connections.DrainTimeout;
        using CancellationTokenRegistration cut = cancellationToken.Register(static state => ((PeerNode)state!).AbortAll(), this);
        await StopCoreAsync(drain).ConfigureAwait(false);
    }

    /// <summary>Stops at once: unpublishes and aborts every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopCoreAsync(TimeSpan.Zero).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task StopCoreAsync(TimeSpan drainTimeout)
    {
        if (_state == State.Stopped)
        {
            return;
        }

        bool wasRunning = _state == State.Running;
        _state = State.Stopped;
        if (_registration is not null)
        {
            await _registration.DisposeAsync().ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        _healthChecks?.Dispose();
        await _watching.ConfigureAwait(false);

        var closing = new List<Task>();
        PeerListener[] listeners = _listeners;
        closing.AddRange(listeners.Select(l => l.StopAsync(drainTimeout)));
        closing.AddRange(AllPools.Select(p => p.CloseAsync(drainTimeout)));
        await Task.WhenAll(closing).ConfigureAwait(false);
        _pools.Clear();
        _addressPools.Clear();
        _listeners = [];

        if (_ownsDiscovery && _discovery is IDisposable registry)
        {
            registry.Dispose();
        }

        _settings?.Dispose();
        if (wasRunning)
        {
            PeerEngineLog.NodeStopped(_logger, Id);
        }
    }

    private void AbortAll()
    {
        foreach (PeerListener listener in _listeners)
        {
            foreach (PeerConnection connection in listener.Connections)
            {
                connection.Abort();
            }
        }

        foreach (var pool in AllPools)
        {
            _ = pool.DisposeAsync().AsTask();
        }
    }

    private PeerRegistry CreateRegistry()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("The shared registry file works on Linux; pass another IPeerDiscovery to the node.");
        }

        _ownsDiscovery = true;
        return new PeerRegistry(_options.Registry, _time);
    }

    private PeerAnnouncement Announcement()
    {
        if (_options.AdvertiseHost is { } advertised)
        {
            return new PeerAnnouncement
            {
                Id = Id,
                Host = advertised,
                Port = TcpEndPoint!.Port,
                Transport = PeerTransport.Tcp,
                UnixPath = UnixSocketPath,
            };
        }

        // Without an advertised host the registry is taken to be this machine's: a node bound to every
        // interface is reached on loopback.
        IPAddress address = TcpEndPoint!.Address;
        if (address.Equals(IPAddress.Any))
        {
            address = IPAddress.Loopback;
        }
        else if (address.Equals(IPAddress.IPv6Any))
        {
            address = IPAddress.IPv6Loopback;
        }

        return new PeerAnnouncement
        {
            Id = Id,
            Host = address.ToString(),
            Port = TcpEndPoint.Port,
            Transport = PeerTransport.Tcp,
            UnixPath = UnixSocketPath,
        };
    }

    private void CheckPoolHealth()
    {
        foreach (var pool in AllPools)
        {
            pool.CheckHealth(_options.Pool.HealthCheckInterval);
        }
    }
}
