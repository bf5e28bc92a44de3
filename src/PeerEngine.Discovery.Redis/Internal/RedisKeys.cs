using StackExchange.Redis;

namespace PeerEngine.Discovery.Redis.Internal;

/// <summary>
/// The keys of one cluster. The cluster is a hash tag (<c>{CLUSTER}</c>), so that in a Redis Cluster
/// all of them live in one slot, which a script that touches several keys requires.
/// </summary>
internal sealed class RedisKeys
{
    public RedisKeys(string prefix, string cluster)
    {
        string root = $"{prefix}:{{{cluster}}}";
        Peers = $"{root}:peers";
        Expiry = $"{root}:expiry";
        Version = $"{root}:version";
        Epoch = $"{root}:epoch";
        Changes = RedisChannel.Literal($"{root}:changes");
        All = [Peers, Expiry, Version, Epoch];
    }

    /// <summary>The hash: one field per node id, its value the peer's record (JSON, with its heartbeat and expiry times).</summary>
    public RedisKey Peers { get; }

    /// <summary>A sorted set of node ids by expiry time, so that finding the expired ones is not a scan of every record.</summary>
    public RedisKey Expiry { get; }

    /// <summary>Counts membership changes (joins and leaves, not heartbeats): a refresh reads the records only when it moved.</summary>
    public RedisKey Version { get; }

    /// <summary>A random value set by the first writer: when it changes, the store lost its data (a restart without persistence).</summary>
    public RedisKey Epoch { get; }

    /// <summary>Where a change is announced (the id that joined or left, or the number of expired peers).</summary>
    public RedisChannel Changes { get; }

    public RedisKey[] All { get; }
}
