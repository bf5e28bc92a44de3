using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PeerEngine.Connections.Internal;
using PeerEngine.Diagnostics;
using PeerEngine.Framing;
using PeerEngine.Transport;

namespace PeerEngine.Connections;

/// <summary>Everything a connection needs besides its transport, shared by all connections of a node.</summary>
internal sealed class ConnectionSettings : IDisposable
{
    public ConnectionSettings(
        string localNodeId,
        PeerConnectionOptions options,
        ConnectionHandlers? handlers = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? time = null,
        PeerEngineMetrics? metrics = null,
        IReadOnlyList<IConnectionMiddleware>? middleware = null)
    {
        NodeIdSyntax.Validate(localNodeId, nameof(localNodeId));
        options.Validate();
        LocalNodeId = localNodeId;
        Options = options.Clone();
        Handlers = handlers ?? ConnectionHandlers.None;
        Time = time ?? TimeProvider.System;
        Metrics = metrics ?? PeerEngineMetrics.Shared;
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("PeerEngine.Connections");
        Heartbeat = new ConnectionHeartbeat(Time, ConnectionHeartbeat.IntervalFor(Options));
        Middleware = middleware ?? [];
        Transport = new TransportSettings
        {
            WaitForDataBeforeAllocatingBuffer = Options.WaitForDataBeforeAllocatingBuffer,
            MaxReceiveBufferSize = TransportSettings.ReceiveBufferFor(Options.MaxPayloadLength),
            MaxSendBufferSize = Options.MaxSendBufferSize,
            SendLoopScheduler = SendScheduler.Instance,
            Logger = Logger,
            Time = Time,
            Metrics = Metrics,
        };
    }

    public string LocalNodeId { get; }

    /// <summary>
    /// The highest protocol version these connections speak: the option's, or 1 when the maximum
    /// payload is below the smallest a version-2 HELLO can announce.
    /// </summary>
    public ushort HighestVersion => Options.MaxPayloadLength < WireProtocol.MinAnnouncedMaxPayloadLength
        ? WireProtocol.Version
        : (ushort)Options.ProtocolVersion;

    public PeerConnectionOptions Options { get; }

    public ConnectionHandlers Handlers { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public PeerEngineMetrics Metrics { get; }

    public ConnectionHeartbeat Heartbeat { get; }

    /// <summary>What every transport connection of these settings must provide.</summary>
    public TransportSettings Transport { get; }

    /// <summary>Wraps each transport connection, in order, before the protocol starts on it.</summary>
    public IReadOnlyList<IConnectionMiddleware> Middleware { get; }

    public PeerConnection Create(TransportConnection transport, ConnectionRole role) =>
        new(transport, role, this);

    public void Dispose() => Heartbeat.Dispose();
}
