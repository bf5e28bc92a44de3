using System.Net;
using Microsoft.Extensions.Logging;

namespace PeerEngine.Diagnostics;

/// <summary>
/// Every log event of the engine, source-generated so that a disabled level costs a branch, with
/// stable event ids (1xx transport, 2xx protocol) that operators can filter on.
/// </summary>
internal static partial class PeerEngineLog
{
    [LoggerMessage(101, LogLevel.Warning, "Out of file descriptors accepting on {EndPoint}; accepting again in {BackoffMs} ms, open connections are still served")]
    public static partial void AcceptOutOfDescriptors(ILogger logger, EndPoint endPoint, double backoffMs);

    [LoggerMessage(102, LogLevel.Warning, "Connection from {RemoteEndPoint} refused: {Active} connections open, the limit is {Limit} (option MaxConnections)")]
    public static partial void ConnectionRejected(ILogger logger, EndPoint? remoteEndPoint, int active, int limit);

    [LoggerMessage(104, LogLevel.Warning, "Connection from {RemoteEndPoint} refused: fewer than {Reserve} file descriptors left below the limit of {Limit}, kept for the runtime")]
    public static partial void ConnectionRefusedNearDescriptorLimit(ILogger logger, EndPoint? remoteEndPoint, int reserve, long limit);

    [LoggerMessage(103, LogLevel.Error, "Accepting on {EndPoint} failed; accepting again in {BackoffMs} ms, open connections are still served")]
    public static partial void AcceptFailed(ILogger logger, EndPoint endPoint, double backoffMs, Exception exception);

    [LoggerMessage(105, LogLevel.Warning, "A connection from {RemoteEndPoint} was closed before the protocol started: its connection middleware failed")]
    public static partial void ConnectionMiddlewareFailed(ILogger logger, EndPoint? remoteEndPoint, Exception exception);

    [LoggerMessage(110, LogLevel.Warning, "TLS connection with {RemoteEndPoint} refused: {Reason}")]
    public static partial void TlsRefused(ILogger logger, EndPoint? remoteEndPoint, string reason);

    [LoggerMessage(111, LogLevel.Warning, "Connection to {RemoteEndPoint} refused: {Reason}")]
    public static partial void PeerIdentityRefused(ILogger logger, EndPoint? remoteEndPoint, string reason);

    [LoggerMessage(112, LogLevel.Information, "TLS certificate reloaded from {Path}: it names {Ids} and expires {NotAfter:u}")]
    public static partial void TlsCertificateReloaded(ILogger logger, string path, string ids, DateTime notAfter);

    [LoggerMessage(113, LogLevel.Warning, "TLS certificate {Path} changed but cannot be loaded, the previous one stays in use: {Problem}")]
    public static partial void TlsCertificateReloadFailed(ILogger logger, string path, string problem);

    [LoggerMessage(301, LogLevel.Information, "Node {NodeId} started on {TcpEndPoint}")]
    public static partial void NodeStarted(ILogger logger, string nodeId, EndPoint tcpEndPoint);

    [LoggerMessage(311, LogLevel.Warning, "Node {NodeId} has no Unix socket of its own ({Reason}); the peers of this machine reach it over TCP")]
    public static partial void NoAutomaticUnixSocket(ILogger logger, string nodeId, string reason);

    [LoggerMessage(305, LogLevel.Information, "Node {NodeId} started on {TcpEndPoint} and the unix socket {UnixSocketPath}")]
    public static partial void NodeStartedWithUnixSocket(ILogger logger, string nodeId, EndPoint tcpEndPoint, string unixSocketPath);

    [LoggerMessage(306, LogLevel.Information, "Node {NodeId} started without listening")]
    public static partial void NodeStartedNotListening(ILogger logger, string nodeId);

    [LoggerMessage(302, LogLevel.Information, "Node {NodeId} stopped")]
    public static partial void NodeStopped(ILogger logger, string nodeId);

    [LoggerMessage(303, LogLevel.Warning, "Watching the registry failed; peers are no longer followed")]
    public static partial void DiscoveryFailed(ILogger logger, Exception exception);

    [LoggerMessage(304, LogLevel.Error, "A PeerJoined or PeerLeft event handler threw")]
    public static partial void EventHandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(309, LogLevel.Warning, "Peer record '{PeerId}' skipped: {Problem}")]
    public static partial void UndiallablePeerRecord(ILogger logger, string? peerId, string problem);

    [LoggerMessage(307, LogLevel.Warning, "Peer '{PeerId}' is unresponsive: {Timeouts} requests in a row timed out; new requests fail at once until it answers a PING")]
    public static partial void PeerUnresponsive(ILogger logger, string peerId, int timeouts);

    [LoggerMessage(308, LogLevel.Information, "Peer '{PeerId}' answers again")]
    public static partial void PeerResponsive(ILogger logger, string peerId);

    [LoggerMessage(310, LogLevel.Warning, "Discovery lists peer '{PeerId}' more than once; the most recently seen record is used")]
    public static partial void DuplicatePeerRecord(ILogger logger, string peerId);

    [LoggerMessage(201, LogLevel.Information, "Connection {Connection} to peer {PeerId} established")]
    public static partial void Handshaken(ILogger logger, object connection, string peerId);

    [LoggerMessage(208, LogLevel.Debug, "Connection {Connection} follows protocol version {Version}; payloads sent are limited to {MaxSendPayload} bytes")]
    public static partial void Negotiated(ILogger logger, object connection, int version, int maxSendPayload);

    [LoggerMessage(209, LogLevel.Debug, "Peer at {RemoteEndPoint} does not speak protocol version {Version}; connecting again with version 1")]
    public static partial void FallingBackToVersion1(ILogger logger, EndPoint remoteEndPoint, int version);

    [LoggerMessage(202, LogLevel.Warning, "Connection {Connection} broke the protocol: {Error}")]
    public static partial void ProtocolViolation(ILogger logger, object connection, object error);

    [LoggerMessage(203, LogLevel.Warning, "Connection {Connection}: peer sent connection error {Code}: {Message}")]
    public static partial void PeerConnectionError(ILogger logger, object connection, object code, string message);

    [LoggerMessage(204, LogLevel.Information, "Connection {Connection} closed: {Reason}")]
    public static partial void Closed(ILogger logger, object connection, string reason);

    [LoggerMessage(205, LogLevel.Error, "Connection {Connection}: a request handler failed; the peer receives ERROR 5 if the connection is still open")]
    public static partial void HandlerFailed(ILogger logger, object connection, Exception exception);

    [LoggerMessage(206, LogLevel.Error, "Connection {Connection}: a message handler failed")]
    public static partial void MessageHandlerFailed(ILogger logger, object connection, Exception exception);

    [LoggerMessage(207, LogLevel.Error, "Connection {Connection}: answering a request failed unexpectedly; the request is dropped")]
    public static partial void InboundWorkFailed(ILogger logger, object connection, Exception exception);

    [LoggerMessage(120, LogLevel.Warning, "Shared-memory connection to {RemoteEndPoint}: the peer wrote an impossible {Field} into the ring; the connection is closed")]
    public static partial void SharedMemoryRingCorrupt(ILogger logger, EndPoint? remoteEndPoint, string field);

    [LoggerMessage(121, LogLevel.Warning, "Shared-memory setup on {Path} refused: {Reason}")]
    public static partial void SharedMemorySetupRefused(ILogger logger, string path, string reason);

    [LoggerMessage(122, LogLevel.Information, "Shared memory to {EndPoint} is not available ({Reason}); dialling its Unix socket instead")]
    public static partial void SharedMemoryFallback(ILogger logger, EndPoint endPoint, string reason);

    [LoggerMessage(123, LogLevel.Warning, "Cannot offer shared memory at {Path} ({Reason}); the Unix socket is served alone")]
    public static partial void SharedMemoryNotOffered(ILogger logger, string path, string reason);
}
