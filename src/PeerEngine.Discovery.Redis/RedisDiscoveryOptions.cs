using System.Globalization;

using PeerEngine.Framing;

namespace PeerEngine;

/// <summary>Settings of a <see cref="RedisPeerDiscovery"/>. Every value but <see cref="Configuration"/> has a working default.</summary>
public sealed class RedisDiscoveryOptions
{
    /// <summary>The cluster when none is named.</summary>
    public const string DefaultCluster = "default";

    /// <summary>
    /// Where Redis is: a StackExchange.Redis configuration string, at its simplest <c>HOST:PORT</c>
    /// (e.g. <c>redis.internal:6379</c>; options such as <c>password=...</c> or <c>ssl=true</c> may follow, comma-separated).
    /// </summary>
    public string Configuration { get; set; } = "";

    /// <summary>
    /// The set of peers this node belongs to: peers see only the peers of their own cluster, so
    /// several clusters share one Redis without mixing. Node-id characters, 1 to 64. Default <c>default</c>.
    /// </summary>
    public string Cluster { get; set; } = DefaultCluster;

    /// <summary>The prefix of every key and channel (<c>PREFIX:{CLUSTER}:peers</c>). Default <c>peerengine</c>.</summary>
    public string KeyPrefix { get; set; } = "peerengine";

    /// <summary>
    /// How long a published peer stays listed without a heartbeat. Default 10 s: with the default
    /// refresh, a killed peer leaves every view within 12 s (the TTL, then at most one refresh).
    /// </summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How often a published peer refreshes its entry, and so how soon it is listed again after Redis
    /// lost its data (a restart without persistence, a failover). Default 2 s; shorter than <see cref="Ttl"/>.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How often the peer set is read again in full when no change notification came. Notifications
    /// are fire-and-forget (a client that was disconnected misses them) and expiry is a matter of time,
    /// so this bounds how late a missed change or an expiry is seen. Default 2 s.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one connection attempt to Redis may take. Default 3 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Parses <c>redis://HOST:PORT/CLUSTER</c> (an IPv6 host in brackets; port 6379 when left out;
    /// an empty or missing path is <see cref="DefaultCluster"/>).
    /// </summary>
    /// <param name="uri">The URI.</param>
    /// <exception cref="FormatException">The URI is not of that form; the message says why.</exception>
    public static RedisDiscoveryOptions FromUri(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)
            || !Uri.TryCreate(uri, UriKind.Absolute, out Uri? parsed)
            || parsed.Host.Length == 0)
        {
            throw new FormatException($"'{uri}' is not a Redis discovery URI: use redis://HOST:PORT/CLUSTER");
        }

        if (parsed.UserInfo.Length > 0 || parsed.Query.Length > 0 || parsed.Fragment.Length > 0)
        {
            throw new FormatException($"'{uri}' is not a Redis discovery URI: only redis://HOST:PORT/CLUSTER is understood");
        }

        string cluster = Uri.UnescapeDataString(parsed.AbsolutePath.Trim('/'));
        if (cluster.Length == 0)
        {
            cluster = DefaultCluster;
        }

        if (!NodeIdSyntax.IsValid(cluster.AsSpan()))
        {
            throw new FormatException($"'{uri}' names cluster '{cluster}': use 1 to 64 ASCII letters, digits, '.', '_' or '-'");
        }

        int port = parsed.IsDefaultPort || parsed.Port < 0 ? 6379 : parsed.Port;
        return new RedisDiscoveryOptions
        {
            Configuration = string.Create(CultureInfo.InvariantCulture, $"{parsed.Host}:{port}"),
            Cluster = cluster,
        };
    }

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first option out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Configuration))
        {
            throw new ArgumentException($"Option {nameof(Configuration)} must name the Redis server, e.g. 'localhost:6379'.", nameof(Configuration));
        }

        if (Cluster is null || !NodeIdSyntax.IsValid(Cluster.AsSpan()))
        {
            throw new ArgumentException($"Option {nameof(Cluster)} '{Cluster}' is invalid: use 1 to 64 ASCII letters, digits, '.', '_' or '-'.", nameof(Cluster));
        }

        if (string.IsNullOrEmpty(KeyPrefix) || KeyPrefix.AsSpan().ContainsAny('{', '}'))
        {
            throw new ArgumentException($"Option {nameof(KeyPrefix)} must be non-empty and hold no braces.", nameof(KeyPrefix));
        }

        if (Ttl <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Option {nameof(Ttl)} must be positive.", nameof(Ttl));
        }

        if (HeartbeatInterval <= TimeSpan.Zero || HeartbeatInterval >= Ttl)
        {
            throw new ArgumentException($"Option {nameof(HeartbeatInterval)} must be positive and shorter than {nameof(Ttl)} ({Ttl}).", nameof(HeartbeatInterval));
        }

        if (RefreshInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Option {nameof(RefreshInterval)} must be positive.", nameof(RefreshInterval));
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException($"Option {nameof(ConnectTimeout)} must be positive.", nameof(ConnectTimeout));
        }
    }
}
