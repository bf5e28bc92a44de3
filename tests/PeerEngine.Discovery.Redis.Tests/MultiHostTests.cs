using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;

using PeerEngine.Discovery.Redis.Tests.Support;

namespace PeerEngine.Discovery.Redis.Tests;

/// <summary>
/// Peers on several machines, simulated with network namespaces: Redis on one, a real
/// <c>peerengine run</c> on each of three others, all talking TCP across a bridge. Traffic stays
/// inside the namespaces the test makes (10.250.0.0/24 exists nowhere else).
/// </summary>
[Trait("Category", "MultiHost")]
public sealed partial class MultiHostTests
{
    private const int RedisPort = 6379;
    private static readonly string[] Machines = ["redis", "h1", "h2", "h3"];
    private static readonly string RedisUri = $"redis://{NetworkLab.Address(0)}:{RedisPort}/lab";

    [GeneratedRegex(@"^listening \S+ id=(\S+)$")]
    private static partial Regex ListeningLine();

    /// <summary>The lab, Redis on its first machine, and node nN on machine hN, listening on its address (h3 on every interface, advertising its address).</summary>
    private sealed class Cluster : IDisposable
    {
        public Cluster()
        {
            Lab = NetworkLab.Create(Machines);
            try
            {
                Redis = Lab.Own(RedisServer.StartUnder(Lab.On("redis"), NetworkLab.Address(0), RedisPort));
                Nodes = new HostProcess[4];
                for (int i = 1; i <= 3; i++)
                {
                    string[] address = i == 3
                        ? ["--host", "0.0.0.0", "--advertise", NetworkLab.Address(i)]
                        : ["--host", NetworkLab.Address(i)];
                    Nodes[i] = Lab.Own(HostProcess.Start(Lab.On($"h{i}"), null, ["run", "--id", $"n{i}", "--port", "7000", "--discovery", RedisUri, .. address]));
                }

                for (int i = 1; i <= 3; i++)
                {
                    string line = Nodes[i].ReadLineAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
                    Assert.Equal($"n{i}", ListeningLine().Match(line).Groups[1].Value);
                }
            }
            catch
            {
                Lab.Dispose();
                throw;
            }
        }

        public NetworkLab Lab { get; }

        public RedisServer Redis { get; }

        public HostProcess[] Nodes { get; }

        /// <summary>The ids <c>peerengine peers</c> lists when run on machine hN; null when it failed (exit code and stderr in <paramref name="failure"/>).</summary>
        public async Task<string[]?> PeersSeenFromAsync(int machine)
        {
            (int exit, string stdout, string stderr, _) = await HostProcess.RunAsync(Lab.On($"h{machine}"), "peers", "--discovery", RedisUri, "--json");
            return exit == 0 ? [.. JsonDocument.Parse(stdout).RootElement.EnumerateArray().Select(p => p.GetProperty("id").GetString()!).Order()] : null;
        }

        public Task<(int ExitCode, string Stdout, string Stderr, TimeSpan Took)> SendAsync(int from, int to, string message, double timeout = 5) =>
            HostProcess.RunAsync(Lab.On($"h{from}"), "send", "--to", $"n{to}", "--discovery", RedisUri, "--timeout", timeout.ToString(System.Globalization.CultureInfo.InvariantCulture), "--", message);

        /// <summary>Waits until machine hN lists exactly <paramref name="ids"/>; returns how long it took.</summary>
        public async Task<TimeSpan> WaitForViewAsync(int machine, string[] ids, TimeSpan within, string why)
        {
            var clock = Stopwatch.StartNew();
            string[]? seen = null;
            while (clock.Elapsed < within)
            {
                seen = await PeersSeenFromAsync(machine);
                if (seen is not null && seen.SequenceEqual(ids))
                {
                    return clock.Elapsed;
                }

                await Task.Delay(200);
            }

            Assert.Fail($"h{machine} lists [{string.Join(", ", seen ?? ["(peers failed)"])}], not [{string.Join(", ", ids)}], {within.TotalSeconds:0} s after {why}");
            return clock.Elapsed;
        }

        public void Dispose() => Lab.Dispose();
    }

    [Fact]
    public async Task Every_node_discovers_the_others_and_requests_reach_each_across_hosts()
    {
        using var cluster = new Cluster();
        for (int from = 1; from <= 3; from++)
        {
            await cluster.WaitForViewAsync(from, ["n1", "n2", "n3"], TimeSpan.FromSeconds(5), "the nodes started");
        }

        for (int from = 1; from <= 3; from++)
        {
            for (int to = 1; to <= 3; to++)
            {
                if (from != to)
                {
                    (int exit, string answer, string stderr, _) = await cluster.SendAsync(from, to, $"from h{from} to n{to}");
                    Assert.True(exit == 0, $"h{from} -> n{to}: exit {exit}: {stderr}");
                    Assert.Equal($"from h{from} to n{to}\n", answer);
                }
            }
        }

        // The published addresses are the machines' own, never loopback or a wildcard.
        (_, string json, _, _) = await HostProcess.RunAsync(cluster.Lab.On("h1"), "peers", "--discovery", RedisUri, "--json");
        Assert.Equal(
            ["10.250.0.2:7000", "10.250.0.3:7000", "10.250.0.4:7000"],
            JsonDocument.Parse(json).RootElement.EnumerateArray().Select(p => $"{p.GetProperty("host").GetString()}:{p.GetProperty("port").GetInt32()}").Order());
    }

    [Fact]
    public async Task A_host_cut_off_fails_its_requests_within_their_timeout_leaves_every_view_and_rejoins_when_its_link_is_back()
    {
        using var cluster = new Cluster();
        await cluster.WaitForViewAsync(1, ["n1", "n2", "n3"], TimeSpan.FromSeconds(5), "the nodes started");

        cluster.Lab.SetLink(3, up: false);
        (int cutExit, _, string cutErr, TimeSpan took) = await cluster.SendAsync(1, 3, "anyone there?", timeout: 2);
        Assert.True(cutExit == 3, $"exit {cutExit}: {cutErr}");
        Assert.True(took < TimeSpan.FromSeconds(2 + 3), $"the request to the cut-off host took {took.TotalSeconds:0.0} s with --timeout 2 (process start included)");

        (int okExit, string okAnswer, string okErr, _) = await cluster.SendAsync(1, 2, "others unaffected");
        Assert.True(okExit == 0, okErr);
        Assert.Equal("others unaffected\n", okAnswer);

        TimeSpan gone1 = await cluster.WaitForViewAsync(1, ["n1", "n2"], TimeSpan.FromSeconds(15), "h3's link was cut");
        await cluster.WaitForViewAsync(2, ["n1", "n2"], TimeSpan.FromSeconds(15) - gone1, "h3's link was cut");
        Assert.False(cluster.Nodes[3].HasExited, cluster.Nodes[3].Stderr);

        cluster.Lab.SetLink(3, up: true);
        await cluster.WaitForViewAsync(1, ["n1", "n2", "n3"], TimeSpan.FromSeconds(15), "h3's link came back");
        (int backExit, string backAnswer, string backErr, _) = await cluster.SendAsync(2, 3, "welcome back");
        Assert.True(backExit == 0, backErr);
        Assert.Equal("welcome back\n", backAnswer);
    }

    [Fact]
    public async Task Conversations_go_on_while_Redis_is_down_and_a_Redis_restarted_empty_lists_every_node_again()
    {
        using var cluster = new Cluster();
        await cluster.WaitForViewAsync(1, ["n1", "n2", "n3"], TimeSpan.FromSeconds(5), "the nodes started");

        // A conversation that spans the outage: a steady stream of requests from h1 to n2.
        using HostProcess talk = cluster.Lab.Own(HostProcess.Start(cluster.Lab.On("h1"), null, ["send", "--to", "n2", "--discovery", RedisUri, "--count", "100000000", "--", "steady"]));
        // The outage begins once the conversation has: n2 logs the connection when its handshake is done
        // (a send started during an outage fails at once, as it should, and proves nothing here).
        Stopwatch connecting = Stopwatch.StartNew();
        while (!cluster.Nodes[2].Stderr.Contains("to peer", StringComparison.Ordinal))
        {
            Assert.True(connecting.Elapsed < TimeSpan.FromSeconds(15), $"h1's send never reached n2: {talk.Stderr}");
            await Task.Delay(50);
        }

        cluster.Redis.Stop();
        (int downExit, _, string downErr, TimeSpan downTook) = await HostProcess.RunAsync(cluster.Lab.On("h2"), "peers", "--discovery", RedisUri);
        Assert.Equal(3, downExit);
        Assert.Contains($"{NetworkLab.Address(0)}:{RedisPort}", downErr, StringComparison.Ordinal);
        Assert.True(downTook < TimeSpan.FromSeconds(5 + 1), $"peers took {downTook.TotalSeconds:0.0} s");

        // Longer than the TTL without Redis: nobody is dropped for that alone.
        await Task.Delay(TimeSpan.FromSeconds(11));
        Assert.False(talk.HasExited, $"the conversation ended during the outage: {talk.Stderr}");
        foreach (HostProcess node in cluster.Nodes.Skip(1))
        {
            Assert.False(node.HasExited, node.Stderr);
        }

        cluster.Redis.Restart();
        TimeSpan relisted = await cluster.WaitForViewAsync(3, ["n1", "n2", "n3"], TimeSpan.FromSeconds(10), "Redis restarted empty");

        NetworkLab.Run("kill", "-INT", talk.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        string summary = await talk.ReadLineAsync(TimeSpan.FromSeconds(20));
        Assert.Matches(@"^\d+ requests to n2, 1 at a time, .* 0 failed$", summary);
        Assert.True(relisted < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_node_SIGKILLed_on_one_host_leaves_the_other_hosts_views_within_15_seconds()
    {
        using var cluster = new Cluster();
        await cluster.WaitForViewAsync(3, ["n1", "n2", "n3"], TimeSpan.FromSeconds(5), "the nodes started");

        cluster.Nodes[2].Kill();
        var clock = Stopwatch.StartNew();
        await cluster.WaitForViewAsync(1, ["n1", "n3"], TimeSpan.FromSeconds(15), "n2 was killed");
        await cluster.WaitForViewAsync(3, ["n1", "n3"], TimeSpan.FromSeconds(15) - clock.Elapsed, "n2 was killed");
    }
}
