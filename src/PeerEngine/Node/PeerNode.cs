using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PeerEngine.ConnectionPool;
using PeerEngine.Connections;
using PeerEngine.Diagnostics;
using PeerEngine.Node.Internal;
using PeerEngine.Transport;
using PeerEngine.Transport.SharedMemory;
using PeerEngine.Transport.Sockets;
using PeerEngine.Transport.Tls;

namespace PeerEngine;

/// <summary>
/// A peer: it listens, publishes itself to the machine's registry, discovers the other peers there,
/// keeps pooled connections to them, and lets application code talk to any peer by id in one call.
/// Partials by concern: <c>.Requests</c> (talking to peers), <c>.Discovery</c> (the registry and the
/// peer set), <c>.Lifetime</c> (start and stop).
/// </summary>
public sealed partial class PeerNode : IAsyncDisposable
{
    private readonly PeerNodeOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly PeerEngineMetrics _metrics;
    private readonly TransportFactory _transportFactory;
    private readonly IReadOnlyList<IConnectionMiddleware> _middleware;
    private readonly ConcurrentDictionary<string, PeerConnectionPool> _pools = new(StringComparer.Ordinal);

    // Peers dialled by address rather than by id: pooled the same way, kept apart from the peer set.
    private readonly ConcurrentDictionary<PeerAddress, PeerConnectionPool> _addressPools = new();
    // Replaced, never changed in place: a stop that is cut short walks it from a cancellation callback
    // while the stop itself may be clearing it.
    private volatile PeerListener[] _listeners = [];
    private IPeerDiscovery? _discovery;
    private bool _ownsDiscovery;
    private ConnectionSettings? _settings;
    private PeerConnector? _connector;
    private RequestHandler? _requestHandler;
    private MessageHandler? _messageHandler;

    /// <summary>Creates a node; nothing happens until <see cref="StartAsync"/>.</summary>
    /// <param name="options">The node's settings; validated here.</param>
    /// <param name="discovery">Where peers are published and found; default: the shared registry file of <see cref="PeerNodeOptions.Registry"/>.</param>
    /// <param name="loggerFactory">Where the node logs; default: nowhere.</param>
    /// <param name="timeProvider">The clock; default: the system's.</param>
    /// <param name="metrics">The instruments to record on; default: the process-wide <c>PeerEngine</c> meter.</param>
    public PeerNode(
        PeerNodeOptions? options = null,
        IPeerDiscovery? discovery = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        PeerEngineMetrics? metrics = null)
        : this(options, discovery, loggerFactory, timeProvider, metrics, DefaultTransport(options), [])
    {
    }

    /// <summary>
    /// A node on the given transport, each connection wrapped by <paramref name="middleware"/>; with
    /// <see cref="PeerNodeOptions.Tls"/>, TLS wraps the transport first and the others wrap TLS.
    /// </summary>
    internal PeerNode(
        PeerNodeOptions? options,
        IPeerDiscovery? discovery,
        ILoggerFactory? loggerFactory,
        TimeProvider? timeProvider,
        PeerEngineMetrics? metrics,
        TransportFactory transport,
        IReadOnlyList<IConnectionMiddleware> middleware)
    {
        _transportFactory = transport;
        _middleware = [.. MiddlewareFor(options, loggerFactory, timeProvider, metrics), .. middleware];
        _options = options ?? new PeerNodeOptions();
        _options.Validate();
        Id = _options.NodeId ?? IdFromCertificate(_middleware) ?? NodeIds.Generate();
        _discovery = discovery;
        _loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("PeerEngine.Node");
        _time = timeProvider ?? TimeProvider.System;
        _metrics = metrics ?? PeerEngineMetrics.Shared;
    }

    /// <summary>This node's id, as published and sent in its HELLO.</summary>
    public string Id { get; }

    /// <summary>The TCP endpoint the node listens on (with the real port), once started.</summary>
    public IPEndPoint? TcpEndPoint { get; private set; }

    /// <summary>The Unix socket path the node listens on, if any, once started.</summary>
    public string? UnixSocketPath { get; private set; }

    /// <summary>Whether the node has started and not yet stopped.</summary>
    public bool IsRunning => _state == State.Running;

    /// <summary>Answers the REQUESTs peers send this node. Set before <see cref="StartAsync"/>; without one, requests get ERROR 4.</summary>
    /// <exception cref="InvalidOperationException">The node has already started.</exception>
    public RequestHandler? RequestHandler
    {
        get => _requestHandler;
        set => _requestHandler = _state == State.Created ? value : throw AlreadyStarted();
    }

    /// <summary>Receives the MESSAGEs peers send this node. Set before <see cref="StartAsync"/>; without one, messages are dropped.</summary>
    /// <exception cref="InvalidOperationException">The node has already started.</exception>
    public MessageHandler? MessageHandler
    {
        get => _messageHandler;
        set => _messageHandler = _state == State.Created ? value : throw AlreadyStarted();
    }

    /// <summary>Connections open to this node right now (accepted from peers).</summary>
    public int InboundConnections => _listeners.Sum(l => l.ConnectionCount);

    /// <summary>Connections open from this node to its peers right now.</summary>
    public int OutboundConnections => AllPools.Sum(p => p.Count);

    /// <summary>Requests this node has sent that await their answer.</summary>
    public int RequestsInFlight => AllPools.Sum(p => p.RequestsInFlight);

    internal IReadOnlyList<PeerListener> Listeners => _listeners;

    /// <summary>What wraps each connection, TLS first.</summary>
    internal IReadOnlyList<IConnectionMiddleware> Middleware => _middleware;

    /// <summary>Every pool: to peers by id and to addresses.</summary>
    private IEnumerable<PeerConnectionPool> AllPools => _pools.Values.Concat(_addressPools.Values);

    /// <summary>
    /// Sockets (TCP and Unix), with shared memory in front of the Unix sockets unless the options turn
    /// it off or the system cannot make it.
    /// </summary>
    private static TransportFactory DefaultTransport(PeerNodeOptions? options) =>
        SharedMemoryTransport.Over(SocketTransport.Factory, options?.SharedMemory ?? new PeerSharedMemoryOptions());

    /// <summary>The TLS middleware when <see cref="PeerNodeOptions.Tls"/> is set; it loads the certificate here, so a bad file fails the constructor.</summary>
    private static IReadOnlyList<IConnectionMiddleware> MiddlewareFor(
        PeerNodeOptions? options, ILoggerFactory? loggerFactory, TimeProvider? timeProvider, PeerEngineMetrics? metrics)
    {
        if (options?.Tls is not { } tls)
        {
            return [];
        }

        options.Validate();
        return [TlsMiddleware.ForNode(
            tls,
            options.NodeId,
            (options.Connections.MaxPayloadLength, options.Connections.HandshakeTimeout, options.Connections.MaxSendBufferSize),
            loggerFactory ?? NullLoggerFactory.Instance, timeProvider ?? TimeProvider.System, metrics ?? PeerEngineMetrics.Shared)];
    }

    /// <summary>With TLS and no configured id, the node is the first id its certificate names.</summary>
    private static string? IdFromCertificate(IReadOnlyList<IConnectionMiddleware> middleware) =>
        middleware.OfType<TlsMiddleware>().FirstOrDefault()?.LocalIds[0];

    private static InvalidOperationException AlreadyStarted() =>
        new("Handlers are set before the node starts.");
}
