using System.CommandLine;
using PeerEngine.Registry;

namespace PeerEngine.Host.Commands;

/// <summary><c>peerengine peers</c>: the live peers of a registry, once or as they change.</summary>
internal static class PeersCommand
{
    public static Command Create()
    {
        Option<string> registry = Settings.Registry();
        Option<string?> discovery = DiscoveryAccess.Option();
        var json = new Option<bool>("--json") { Description = "One JSON array: id, host, port, pid, lastSeen (unix ms)." };
        var watch = new Option<bool>("--watch") { Description = "Keep listing peers as they join and leave, until Ctrl+C." };
        var command = new Command("peers", "List the live peers of a registry.") { registry, discovery, json, watch };
        var tls = new TlsSettings();
        tls.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            DiscoveryAccess where = DiscoveryAccess.Resolve(result, registry, discovery);
            if (tls.Read(result) is { } tlsOptions)
            {
                await TlsSettings.CheckAsync(new PeerNodeOptions { Listen = false, Discover = false, Tls = tlsOptions });
            }

            if (result.GetValue(watch))
            {
                return where.Redis is null ? await WatchAsync(where.RegistryPath!, cancellationToken) : await WatchRedisAsync(where, cancellationToken);
            }

            IReadOnlyList<PeerRecord> peers = await where.PeersAsync(TimeSpan.FromSeconds(5), cancellationToken);
            if (result.GetValue(json))
            {
                Console.Out.WriteLine(PeerExport.ToJson(peers));
            }
            else
            {
                foreach (PeerRecord peer in peers)
                {
                    Console.Out.WriteLine($"{peer.Id} {Endpoints.Format(peer)} pid={peer.ProcessId}");
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<int> WatchRedisAsync(DiscoveryAccess where, CancellationToken cancellationToken)
    {
        await using RedisPeerDiscovery discovery = where.OpenRedis(TimeSpan.FromSeconds(5));
        await DiscoveryAccess.ReadAsync(discovery, cancellationToken);
        return await PrintChangesAsync(discovery, cancellationToken);
    }

    private static async Task<int> WatchAsync(string path, CancellationToken cancellationToken)
    {
        using PeerRegistry registry = RegistryAccess.Open(path);
        return await PrintChangesAsync(registry, cancellationToken);
    }

    private static async Task<int> PrintChangesAsync(IPeerDiscovery discovery, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (PeerSetChange change in discovery.WatchAsync(cancellationToken))
            {
                foreach (PeerRecord gone in change.Removed)
                {
                    Console.Out.WriteLine($"- {gone.Id} {Endpoints.Format(gone)}");
                }

                foreach (PeerRecord added in change.Added)
                {
                    Console.Out.WriteLine($"+ {added.Id} {Endpoints.Format(added)} pid={added.ProcessId}");
                }

                Console.Out.Flush();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: the watch is over.
        }

        return ExitCodes.Success;
    }
}
