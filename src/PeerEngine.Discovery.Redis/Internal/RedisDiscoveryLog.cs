using Microsoft.Extensions.Logging;

namespace PeerEngine.Discovery.Redis.Internal;

internal static partial class RedisDiscoveryLog
{
    [LoggerMessage(401, LogLevel.Warning, "Redis at {Server} cannot be reached ({Reason}); the last known {Count} peers are kept and Redis is retried")]
    public static partial void Unreachable(ILogger logger, string server, string reason, int count);

    [LoggerMessage(402, LogLevel.Information, "Redis at {Server} is reachable again")]
    public static partial void Reachable(ILogger logger, string server);

    [LoggerMessage(403, LogLevel.Warning, "Record '{Field}' in {Key} skipped: {Problem}")]
    public static partial void BadRecord(ILogger logger, string field, string key, string problem);

    [LoggerMessage(404, LogLevel.Information, "Peer '{PeerId}' published again to Redis at {Server} (the store had lost it)")]
    public static partial void Republished(ILogger logger, string peerId, string server);

    [LoggerMessage(405, LogLevel.Warning, "Peer id '{PeerId}' is held in Redis by another live registration ({Owner}); retrying at the next heartbeat")]
    public static partial void HeartbeatConflict(ILogger logger, string peerId, string owner);

    [LoggerMessage(406, LogLevel.Warning, "The store of cluster '{Cluster}' at {Server} was reset (its data is gone); the known peers are kept for {TtlMs} ms while they publish again")]
    public static partial void StoreReset(ILogger logger, string cluster, string server, long ttlMs);

    [LoggerMessage(407, LogLevel.Warning, "Unpublishing peer '{PeerId}' from Redis at {Server} failed; its entry expires within its TTL")]
    public static partial void UnpublishFailed(ILogger logger, string peerId, string server, Exception exception);

    [LoggerMessage(409, LogLevel.Error, "Reading the peers from Redis at {Server} failed; the last known peers are kept")]
    public static partial void RefreshFailed(ILogger logger, string server, Exception exception);

    [LoggerMessage(408, LogLevel.Warning, "Publishing peer '{PeerId}' to Redis at {Server} failed ({Reason}); retrying in {DelayMs} ms")]
    public static partial void PublishRetry(ILogger logger, string peerId, string server, string reason, long delayMs);
}
