using System.CommandLine;
using System.Net;

namespace PeerEngine.Host;

/// <summary>
/// Where a command finds its peers: the registry file (<c>--registry PATH</c>, <c>--discovery file:PATH</c>,
/// the default) or a Redis server shared by many machines (<c>--discovery redis://HOST:PORT/CLUSTER</c>).
/// </summary>
internal sealed class DiscoveryAccess
{
    private DiscoveryAccess(string? registryPath, RedisDiscoveryOptions? redis)
    {
        RegistryPath = registryPath;
        Redis = redis;
    }

    /// <summary>The registry file, when discovery is the file.</summary>
    public string? RegistryPath { get; }

    /// <summary>The Redis settings, when discovery is Redis.</summary>
    public RedisDiscoveryOptions? Redis { get; }

    public static Option<string?> Option() =>
        Settings.Text("--discovery", "Where peers are found: file:PATH (a registry file) or redis://HOST:PORT/CLUSTER; instead of --registry.");

    /// <summary>Reads <c>--registry</c> and <c>--discovery</c> (and their environment variables): given both, it is bad usage.</summary>
    public static DiscoveryAccess Resolve(ParseResult result, Option<string> registry, Option<string?> discovery)
    {
        bool registryGiven = result.GetResult(registry) is { Implicit: false };
        bool discoveryGiven = result.GetResult(discovery) is { Implicit: false };
        if (registryGiven && discoveryGiven)
        {
            throw CliException.Usage("--registry and --discovery both name where peers are; give one");
        }

        string? uri = registryGiven ? null : result.GetValue(discovery);
        if (string.IsNullOrEmpty(uri))
        {
            return new DiscoveryAccess(result.GetValue(registry)!, null);
        }

        if (uri.StartsWith("file:", StringComparison.Ordinal))
        {
            string path = uri["file:".Length..];
            return path.Length > 0 ? new DiscoveryAccess(path, null) : throw CliException.Usage("--discovery file: names no registry file; use file:PATH");
        }

        if (uri.StartsWith("redis://", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                return new DiscoveryAccess(null, RedisDiscoveryOptions.FromUri(uri));
            }
            catch (FormatException e)
            {
                throw CliException.Usage($"--discovery {e.Message}");
            }
        }

        throw CliException.Usage($"--discovery '{uri}' is neither file:PATH nor redis://HOST:PORT/CLUSTER");
    }

    /// <summary>What the commands' messages call it.</summary>
    public string Describe() =>
        Redis is null ? $"registry {RegistryPath}" : $"cluster '{Redis.Cluster}' on Redis at {Redis.Configuration}";

    /// <summary>Whether the Redis server is on this machine only (a loopback address or localhost).</summary>
    public bool RedisIsLocal()
    {
        string host = Redis!.Configuration[..Redis.Configuration.LastIndexOf(':')].Trim('[', ']');
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out IPAddress? address) && IPAddress.IsLoopback(address));
    }

    /// <summary>The live peers, read now. Redis that cannot be reached within <paramref name="limit"/> (at most 3 s) is exit 3, naming it.</summary>
    public async Task<IReadOnlyList<PeerRecord>> PeersAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        if (Redis is null)
        {
            return RegistryAccess.Peers(RegistryPath!);
        }

        await using RedisPeerDiscovery discovery = OpenRedis(limit);
        return await ReadAsync(discovery, cancellationToken);
    }

    /// <summary>A Redis discovery whose connection attempts and commands give up within <paramref name="limit"/> (at most 3 s).</summary>
    public RedisPeerDiscovery OpenRedis(TimeSpan limit)
    {
        var options = new RedisDiscoveryOptions
        {
            Configuration = Redis!.Configuration,
            Cluster = Redis.Cluster,
            ConnectTimeout = limit < TimeSpan.FromSeconds(3) ? limit : TimeSpan.FromSeconds(3),
        };
        return new RedisPeerDiscovery(options);
    }

    public static async Task<IReadOnlyList<PeerRecord>> ReadAsync(RedisPeerDiscovery discovery, CancellationToken cancellationToken)
    {
        try
        {
            return await discovery.RefreshAsync(cancellationToken);
        }
        catch (RedisDiscoveryUnavailableException e)
        {
            throw CliException.Unreachable(RegistryAccess.OneLine(e.Message));
        }
    }
}
