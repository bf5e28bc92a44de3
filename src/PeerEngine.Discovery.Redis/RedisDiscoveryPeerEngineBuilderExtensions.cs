using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace PeerEngine;

/// <summary>Puts the node's discovery on Redis.</summary>
public static class RedisDiscoveryPeerEngineBuilderExtensions
{
    /// <summary>
    /// Publishes the node to, and finds its peers in, Redis instead of the machine's registry file.
    /// Set <see cref="PeerNodeOptions.AdvertiseHost"/> to the address other machines dial.
    /// </summary>
    /// <example><code>
    /// services.AddPeerEngine(o => { o.Host = "0.0.0.0"; o.AdvertiseHost = "10.0.0.5"; })
    ///     .UseRedisDiscovery(o => { o.Configuration = "redis.internal:6379"; o.Cluster = "orders"; });
    /// </code></example>
    public static IPeerEngineBuilder UseRedisDiscovery(this IPeerEngineBuilder builder, Action<RedisDiscoveryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new RedisDiscoveryOptions();
        configure(options);
        options.Validate();
        builder.Services.RemoveAll<IPeerDiscovery>();
        builder.Services.AddSingleton<IPeerDiscovery>(provider => new RedisPeerDiscovery(options, provider.GetService<ILoggerFactory>(), provider.GetService<TimeProvider>()));
        return builder;
    }

    /// <summary>Publishes the node to, and finds its peers in, the Redis of <paramref name="uri"/>: <c>redis://HOST:PORT/CLUSTER</c>.</summary>
    /// <exception cref="FormatException">The URI is not of that form.</exception>
    public static IPeerEngineBuilder UseRedisDiscovery(this IPeerEngineBuilder builder, string uri)
    {
        RedisDiscoveryOptions parsed = RedisDiscoveryOptions.FromUri(uri);
        return builder.UseRedisDiscovery(o =>
        {
            o.Configuration = parsed.Configuration;
            o.Cluster = parsed.Cluster;
        });
    }
}
