namespace PeerEngine.Diagnostics;

/// <summary>
/// Attribute names of the engine's spans: OpenTelemetry's RPC and messaging conventions, and the
/// engine's own under <c>peerengine.</c> (the peer's node id, which has no conventional name).
/// </summary>
internal static class SpanTags
{
    public const string RpcSystem = "rpc.system.name";
    public const string RpcStatusCode = "rpc.response.status_code";
    public const string MessagingSystem = "messaging.system";
    public const string MessagingOperationType = "messaging.operation.type";
    public const string MessagingOperationName = "messaging.operation.name";
    public const string MessagingDestination = "messaging.destination.name";
    public const string MessageBodySize = "messaging.message.body.size";
    public const string MessageCount = "messaging.batch.message_count";
    public const string ErrorType = "error.type";
    public const string PeerId = "peerengine.peer.id";
    public const string RequestSize = "peerengine.request.size";
}
