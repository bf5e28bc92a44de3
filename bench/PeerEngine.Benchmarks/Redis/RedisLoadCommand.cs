using System.Diagnostics;
using System.Globalization;

using PeerEngine.Discovery.Redis.Internal;

using StackExchange.Redis;

namespace PeerEngine.Benchmarks.Redis;

/// <summary>
/// Redis discovery under many nodes in one process, each with its own connection as a real node has:
/// Redis commands per node per second at steady state, redis-server's CPU, the time for a join to
/// reach every node, and the time until a killed peer (heartbeats stopped, record left behind) has
/// left every other node's view.
/// </summary>
internal static class RedisLoadCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        int nodes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200;
        using var redis = new LocalRedis();
        var options = new RedisDiscoveryOptions { Configuration = redis.Address, Cluster = "load" };
        var discoveries = new List<RedisPeerDiscovery>();
        var registrations = new List<IPeerRegistration>();
        await using ConnectionMultiplexer admin = await ConnectionMultiplexer.ConnectAsync($"{redis.Address},allowAdmin=true");
        IServer server = admin.GetServer(redis.Address);
        try
        {
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < nodes; i++)
            {
                var discovery = new RedisPeerDiscovery(options);
                discoveries.Add(discovery);
                registrations.Add(await discovery.PublishAsync(new PeerAnnouncement { Id = $"node-{i}", Host = "127.0.0.1", Port = 20_000 + i }));
            }

            await WaitAsync(() => discoveries.All(d => d.Discover().Count == nodes), TimeSpan.FromMinutes(5));
            Console.WriteLine($"{nodes} nodes published and seeing each other in {clock.Elapsed.TotalSeconds:0.0} s");

            // Steady state: nothing joins or leaves for the window.
            await Task.Delay(TimeSpan.FromSeconds(3));
            await server.ExecuteAsync("CONFIG", "RESETSTAT");
            TimeSpan cpuBefore = redis.CpuTime();
            var window = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(20));
            double seconds = window.Elapsed.TotalSeconds;
            TimeSpan cpu = redis.CpuTime() - cpuBefore;
            (long sent, long executed) = await CommandsAsync(server);
            Console.WriteLine(
                $"steady state: {sent / (double)nodes / seconds:0.00} commands per node per second sent ({sent} in {seconds:0.0} s), " +
                $"{executed / (double)nodes / seconds:0.00} executed counting those inside the scripts; redis-server CPU {cpu.TotalSeconds / seconds * 100:0.0}% of one core");

            // A join: one more node publishes; how long until every node lists it.
            var reach = new List<double>();
            for (int j = 0; j < 5; j++)
            {
                var joiner = new RedisPeerDiscovery(options);
                string id = $"joiner-{j}";
                var join = Stopwatch.StartNew();
                IPeerRegistration joined = await joiner.PublishAsync(new PeerAnnouncement { Id = id, Host = "127.0.0.1", Port = 30_000 + j });
                await WaitAsync(() => discoveries.All(d => Lists(d, id)), TimeSpan.FromSeconds(30));
                reach.Add(join.Elapsed.TotalMilliseconds);
                await joined.DisposeAsync();
                await joiner.DisposeAsync();
                await WaitAsync(() => discoveries.All(d => !Lists(d, id)), TimeSpan.FromSeconds(30));
            }

            reach.Sort();
            Console.WriteLine($"join reaches all {nodes} nodes: median {reach[2]:0} ms, max {reach[^1]:0} ms (5 joins, publish included)");

            // Kills: 20 nodes stop beating, 200 ms apart; each is timed until no other node lists it.
            const int Kills = 20;
            var detect = new double[Kills];
            var killedAt = new Stopwatch[Kills];
            var tasks = new List<Task>();
            for (int k = 0; k < Kills; k++)
            {
                int victim = k;
                ((RedisRegistration)registrations[victim]).Abandon();
                killedAt[victim] = Stopwatch.StartNew();
                string id = $"node-{victim}";
                tasks.Add(Task.Run(async () =>
                {
                    await WaitAsync(() => discoveries.Skip(Kills).All(d => !Lists(d, id)), TimeSpan.FromSeconds(60));
                    detect[victim] = killedAt[victim].Elapsed.TotalMilliseconds;
                }));
                await Task.Delay(200);
            }

            await Task.WhenAll(tasks);
            Array.Sort(detect);
            Console.WriteLine($"killed peer gone from every view: p50 {detect[Kills / 2 - 1] / 1000:0.00} s, p99 {detect[^1] / 1000:0.00} s, min {detect[0] / 1000:0.00} s ({Kills} kills, TTL 10 s, heartbeat 2 s, refresh 2 s)");
            return 0;
        }
        finally
        {
            foreach (RedisPeerDiscovery discovery in discoveries)
            {
                await discovery.DisposeAsync();
            }
        }
    }

    private static bool Lists(RedisPeerDiscovery discovery, string id)
    {
        foreach (PeerRecord peer in discovery.Discover())
        {
            if (peer.Id == id)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Commands the clients sent (EVALSHA/EVAL and any other), and all Redis executed (a script's own calls counted too).</summary>
    private static async Task<(long Sent, long Executed)> CommandsAsync(IServer server)
    {
        long calls = 0;
        long sent = 0;
        foreach (IGrouping<string, KeyValuePair<string, string>> section in await server.InfoAsync("commandstats"))
        {
            foreach ((string key, string value) in section)
            {
                if (key.StartsWith("cmdstat_", StringComparison.Ordinal) && !key.Contains("info", StringComparison.Ordinal) && !key.Contains("config", StringComparison.Ordinal))
                {
                    string count = value.Split(',')[0].Split('=')[1];
                    long n = long.Parse(count, CultureInfo.InvariantCulture);
                    calls += n;
                    if (key is "cmdstat_evalsha" or "cmdstat_eval" or "cmdstat_ping" or "cmdstat_echo" or "cmdstat_subscribe" or "cmdstat_publish" or "cmdstat_hgetall")
                    {
                        sent += n;
                    }
                }
            }
        }

        return (sent, calls);
    }

    private static async Task WaitAsync(Func<bool> condition, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > within)
            {
                throw new TimeoutException($"not reached within {within.TotalSeconds} s");
            }

            await Task.Delay(1);
        }
    }
}
