using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

using PeerEngine.Discovery.Redis.Tests.Support;

namespace PeerEngine.Discovery.Redis.Tests;

/// <summary>The console host's "Beyond one machine" contract with a real redis-server, through real processes.</summary>
public sealed partial class HostRedisTests
{
    private static readonly TimeSpan Start = TimeSpan.FromSeconds(30);

    [GeneratedRegex(@"^listening 127\.0\.0\.1:(\d+) id=(.+)$")]
    private static partial Regex ListeningLine();

    private static void OneLine(string stderr)
    {
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    private static async Task<List<JsonElement>> PeersAsync(string uri)
    {
        (int exit, string stdout, string stderr, _) = await HostProcess.RunAsync("peers", "--discovery", uri, "--json");
        Assert.True(exit == 0, stderr);
        return [.. JsonDocument.Parse(stdout).RootElement.EnumerateArray()];
    }

    [Fact]
    public async Task Run_is_listed_answers_send_and_a_graceful_stop_removes_it_at_once()
    {
        using var redis = RedisServer.Start();
        string uri = redis.Uri("cli");
        using HostProcess run = HostProcess.Start("run", "--id", "cli-node", "--discovery", uri);
        Match line = ListeningLine().Match(await run.ReadLineAsync(Start));
        Assert.True(line.Success, run.Stderr);
        int port = int.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture);

        JsonElement peer = Assert.Single(await PeersAsync(uri));
        Assert.Equal("cli-node", peer.GetProperty("id").GetString());
        Assert.Equal("127.0.0.1", peer.GetProperty("host").GetString());
        Assert.Equal(port, peer.GetProperty("port").GetInt32());
        Assert.Equal(run.Id, peer.GetProperty("pid").GetInt32());
        Assert.True(Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - peer.GetProperty("lastSeen").GetInt64()) < 10_000);

        (int sendExit, string answer, string sendErr, _) = await HostProcess.RunAsync("send", "--to", "cli-node", "--discovery", uri, "--", "hello over redis");
        Assert.True(sendExit == 0, sendErr);
        Assert.Equal("hello over redis\n", answer);

        // Other clusters on the same Redis see nothing of it.
        Assert.Empty(await PeersAsync(redis.Uri("elsewhere")));

        run.Terminate();
        Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromSeconds(20)));
        Assert.Empty(await PeersAsync(uri));
    }

    [Fact]
    public async Task A_SIGKILLed_run_leaves_the_list_within_15_seconds()
    {
        using var redis = RedisServer.Start();
        string uri = redis.Uri("kill");
        using HostProcess run = HostProcess.Start("run", "--id", "doomed", "--discovery", uri);
        Assert.Matches(ListeningLine(), await run.ReadLineAsync(Start));
        Assert.Single(await PeersAsync(uri));

        run.Kill();
        var clock = Stopwatch.StartNew();
        while ((await PeersAsync(uri)).Count > 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "the killed peer is still listed after 15 s");
            await Task.Delay(250);
        }

        // It stayed while its TTL ran: gone neither at once nor late.
        Assert.True(clock.Elapsed > TimeSpan.FromSeconds(5), $"gone after {clock.Elapsed.TotalSeconds:0.0} s, before its TTL");
    }

    [Fact]
    public async Task With_Redis_down_peers_and_send_exit_3_naming_it_and_run_is_listed_again_after_a_restart()
    {
        using var redis = RedisServer.Start();
        string uri = redis.Uri("outage");
        using HostProcess run = HostProcess.Start("run", "--id", "survivor", "--discovery", uri);
        Assert.Matches(ListeningLine(), await run.ReadLineAsync(Start));
        redis.Stop();

        (int peersExit, _, string peersErr, TimeSpan peersTook) = await HostProcess.RunAsync("peers", "--discovery", uri);
        Assert.Equal(3, peersExit);
        OneLine(peersErr);
        Assert.Contains(redis.Address, peersErr, StringComparison.Ordinal);
        Assert.True(peersTook < TimeSpan.FromSeconds(5 + 1), $"peers took {peersTook.TotalSeconds:0.0} s (process start included)");

        (int sendExit, _, string sendErr, TimeSpan sendTook) = await HostProcess.RunAsync("send", "--to", "survivor", "--discovery", uri, "--timeout", "2", "--", "x");
        Assert.Equal(3, sendExit);
        OneLine(sendErr);
        Assert.Contains(redis.Address, sendErr, StringComparison.Ordinal);
        // The contract bounds the command by its timeout; from outside, the process's start (up to a
        // few seconds on a loaded 2-core machine) comes on top.
        Assert.True(sendTook < TimeSpan.FromSeconds(2 + 3), $"send took {sendTook.TotalSeconds:0.0} s (process start included)");
        Assert.False(run.HasExited, run.Stderr);

        // Back, empty: the node publishes itself again without a restart.
        redis.Restart();
        var clock = Stopwatch.StartNew();
        while ((await PeersAsync(uri)).Count == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the running node is not listed 10 s after Redis came back");
            await Task.Delay(100);
        }

        (int exit, string answer, string err, _) = await HostProcess.RunAsync("send", "--to", "survivor", "--discovery", uri, "--", "still here");
        Assert.True(exit == 0, err);
        Assert.Equal("still here\n", answer);
    }

    [Fact]
    public async Task A_run_that_cannot_reach_Redis_at_start_prints_its_listening_line_once_published()
    {
        using var redis = RedisServer.Start();
        redis.Stop();
        string uri = redis.Uri("late");
        using HostProcess run = HostProcess.Start(null, new Dictionary<string, string> { ["PEERENGINE_DISCOVERY"] = uri }, "run", "--id", "patient");
        Task<string> line = run.ReadLineAsync(Start);
        await Task.Delay(1500);
        Assert.False(line.IsCompleted, "the listening line came before the node was published");
        Assert.False(run.HasExited, run.Stderr);
        redis.Restart();
        Assert.Matches(ListeningLine(), await line);
        Assert.Equal("patient", Assert.Single(await PeersAsync(uri)).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Advertise_is_the_published_host()
    {
        using var redis = RedisServer.Start();
        string uri = redis.Uri("adv");
        using HostProcess run = HostProcess.Start("run", "--id", "named", "--discovery", uri, "--advertise", "peer-7.example");
        Assert.Matches(ListeningLine(), await run.ReadLineAsync(Start));
        Assert.Equal("peer-7.example", Assert.Single(await PeersAsync(uri)).GetProperty("host").GetString());
    }

    [Theory]
    [InlineData("run", "--discovery", "redis://127.0.0.1:1/c", "--registry", "never-opened.bin")]
    [InlineData("peers", "--discovery", "redis://127.0.0.1:1/c", "--registry", "never-opened.bin")]
    [InlineData("send", "--to", "x", "--discovery", "redis://127.0.0.1:1/c", "--registry", "never-opened.bin", "--", "m")]
    [InlineData("run", "--host", "0.0.0.0", "--discovery", "redis://127.0.0.1:1/c")]
    [InlineData("run", "--host", "::", "--discovery", "redis://[::1]:1/c")]
    [InlineData("run", "--discovery", "redis://10.250.255.1:6379/c")]
    [InlineData("run", "--host", "0.0.0.0", "--advertise", "127.0.0.1", "--discovery", "redis://10.250.255.1:6379/c")]
    [InlineData("run", "--advertise", "0.0.0.0", "--discovery", "redis://127.0.0.1:1/c")]
    [InlineData("peers", "--discovery", "redis://127.0.0.1:1/no spaces")]
    [InlineData("peers", "--discovery", "mongodb://127.0.0.1:1/c")]
    [InlineData("peers", "--discovery", "file:")]
    public async Task Bad_usage_exits_2_with_one_line_before_any_connection(params string[] args)
    {
        (int exit, string stdout, string stderr, _) = await HostProcess.RunAsync(args);
        Assert.True(exit == 2, $"exit {exit}: {stderr}");
        OneLine(stderr);
        Assert.Equal("", stdout);
    }

    [Fact]
    public async Task File_discovery_is_the_registry_file()
    {
        string folder = Directory.CreateTempSubdirectory("peerengine-file-").FullName;
        try
        {
            string path = Path.Combine(folder, "registry.bin");
            using HostProcess run = HostProcess.Start("run", "--id", "filed", "--discovery", "file:" + path);
            Assert.Matches(ListeningLine(), await run.ReadLineAsync(Start));
            (int exit, string stdout, string stderr, _) = await HostProcess.RunAsync("peers", "--registry", path, "--json");
            Assert.True(exit == 0, stderr);
            Assert.Contains("\"filed\"", stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
