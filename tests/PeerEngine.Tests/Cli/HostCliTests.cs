using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text.Json;
using System.Text.RegularExpressions;
using PeerEngine.Registry;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;
using static PeerEngine.Tests.Cli.HostOutput;

namespace PeerEngine.Tests.Cli;

/// <summary>The console host's contract (shared/specs/host-cli.md), through real processes.</summary>
[SupportedOSPlatform("linux")]
public sealed class HostCliTests
{
    [Fact]
    public async Task Demo_exits_0_and_shows_the_three_peers_and_both_responses()
    {
        (int exit, string stdout, string stderr) = await ChildProcess.RunHostAsync(null, "demo");

        Assert.True(exit == 0, stderr);
        Assert.Contains("peer alpha listens on 127.0.0.1:", stdout, StringComparison.Ordinal);
        Assert.Contains("peer beta listens on 127.0.0.1:", stdout, StringComparison.Ordinal);
        Assert.Contains("peer gamma starts on 127.0.0.1:", stdout, StringComparison.Ordinal);
        Assert.Contains("gamma -> alpha: \"alpha says hi back to 'hello alpha'\" in ", stdout, StringComparison.Ordinal);
        Assert.Contains("gamma -> beta: \"beta says hi back to 'hello beta'\" in ", stdout, StringComparison.Ordinal);
        Assert.Matches(@"in \d+\.\d{3} ms", stdout);
    }

    [Fact]
    public async Task Run_listens_is_listed_answers_send_and_leaves_on_sigterm()
    {
        using var folder = new TempFolder();
        using ChildProcess run = ChildProcess.StartHost(null, "run", "--id", "cli-node", "--registry", folder.RegistryPath);
        string listening = await run.ReadLineAsync();
        Match line = System.Text.RegularExpressions.Regex.Match(listening, @"^listening 127\.0\.0\.1:(\d+) id=cli-node$");
        Assert.True(line.Success, listening);
        int port = int.Parse(line.Groups[1].Value, CultureInfo.InvariantCulture);

        (int peersExit, string peersJson, _) = await ChildProcess.RunHostAsync(null, "peers", "--registry", folder.RegistryPath, "--json");
        Assert.Equal(0, peersExit);
        JsonElement peer = Assert.Single(JsonDocument.Parse(peersJson).RootElement.EnumerateArray().ToList());
        Assert.Equal("cli-node", peer.GetProperty("id").GetString());
        Assert.Equal("127.0.0.1", peer.GetProperty("host").GetString());
        Assert.Equal(port, peer.GetProperty("port").GetInt32());
        Assert.Equal(run.Id, peer.GetProperty("pid").GetInt32());
        Assert.True(peer.GetProperty("lastSeen").GetInt64() > 1_700_000_000_000);

        (int sendExit, string answer, string sendErr) = await ChildProcess.RunHostAsync(null, "send", "--to", "cli-node", "--registry", folder.RegistryPath, "--", "hello, node");
        Assert.True(sendExit == 0, sendErr);
        Assert.Equal("hello, node\n", answer);

        run.Terminate();
        Assert.Equal(0, await run.WaitForExitAsync());
        (_, string after, _) = await ChildProcess.RunHostAsync(null, "peers", "--registry", folder.RegistryPath, "--json");
        Assert.Equal("[]", after.Trim());
    }

    [Fact]
    public async Task Ctrl_C_during_send_count_prints_the_summary_so_far_and_says_goodbye()
    {
        // The largest count there is: what send keeps per request must not grow with it.
        using var folder = new TempFolder();
        using ChildProcess run = ChildProcess.StartHost(null, "run", "--id", "target", "--registry", folder.RegistryPath);
        await run.ReadLineAsync();
        using ChildProcess send = ChildProcess.StartHost(null, "send", "--to", "target", "--registry", folder.RegistryPath, "--count", int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), "--concurrency", "8", "--", "load");

        // The peer logs the connection once the handshake is done; requests follow at once.
        await Eventually.TrueAsync(() => run.Stderr.Contains("to peer", StringComparison.Ordinal), "the peer shows the connection", TimeSpan.FromSeconds(30));
        send.Interrupt();

        string summary = await send.ReadLineAsync();
        Assert.Matches(@"^\d+ requests to target, 8 at a time, in \d+\.\d{3} s \(\d+ req/s\): p50 .+ ms, p99 .+ ms, max .+ ms, 0 failed$", summary);
        Assert.Equal(130, await send.WaitForExitAsync());
        Assert.Contains("interrupted after", send.Stderr, StringComparison.Ordinal);
        await Eventually.TrueAsync(() => run.Stderr.Contains("closed: ", StringComparison.Ordinal), "the peer logs the close");
        Assert.Contains("closed: the peer said goodbye", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("reset", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Settings_come_from_environment_variables_too()
    {
        using var folder = new TempFolder();
        var environment = new Dictionary<string, string> { ["PEERENGINE_REGISTRY"] = folder.RegistryPath, ["PEERENGINE_ID"] = "from-env" };
        using ChildProcess run = ChildProcess.StartHost(environment, "run");

        Assert.EndsWith(" id=from-env", await run.ReadLineAsync(), StringComparison.Ordinal);
        (_, string peers, _) = await ChildProcess.RunHostAsync(environment, "peers");
        Assert.StartsWith("from-env 127.0.0.1:", peers, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_peer_is_bad_usage_with_one_line()
    {
        using var folder = new TempFolder();

        (int exit, string stdout, string stderr) = await ChildProcess.RunHostAsync(null, "send", "--to", "nobody", "--registry", folder.RegistryPath, "hi");

        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        OneLine(stderr);
        Assert.Contains("nobody", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_garbage_registry_is_bad_input_and_left_byte_for_byte_unchanged()
    {
        using var folder = new TempFolder();
        byte[] garbage = [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 31))];
        await File.WriteAllBytesAsync(folder.RegistryPath, garbage);

        foreach (string[] command in new[] { new[] { "peers" }, ["send", "--to", "x", "hi"], ["run"] })
        {
            (int exit, _, string stderr) = await ChildProcess.RunHostAsync(null, [.. command, "--registry", folder.RegistryPath]);

            Assert.Equal(2, exit);
            OneLine(stderr);
            Assert.Contains(folder.RegistryPath, stderr, StringComparison.Ordinal);
            Assert.Equal(garbage, await File.ReadAllBytesAsync(folder.RegistryPath));
        }
    }

    [Fact]
    public async Task An_unknown_option_is_bad_usage_with_one_line()
    {
        (int exit, _, string stderr) = await ChildProcess.RunHostAsync(null, "peers", "--no-such-option");

        Assert.Equal(2, exit);
        OneLine(stderr);
    }

    [Fact]
    public async Task A_listed_peer_that_cannot_be_reached_exits_3_with_one_line()
    {
        using var folder = new TempFolder();
        int closedPort = Ports.ClosedLoopbackPort();

        using var registry = new PeerRegistry(new PeerRegistryOptions { Path = folder.RegistryPath });
        using IPeerRegistration ghost = registry.Publish(new PeerAnnouncement { Id = "ghost", Host = "127.0.0.1", Port = closedPort });

        (int exit, _, string stderr) = await ChildProcess.RunHostAsync(null, "send", "--to", "ghost", "--registry", folder.RegistryPath, "--timeout", "2", "hi");

        Assert.Equal(3, exit);
        OneLine(stderr);
        Assert.Contains("ghost", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_under_a_descriptor_limit_too_small_for_the_runtime_exits_2_naming_the_limit_and_the_minimum()
    {
        using var folder = new TempFolder();

        (int exit, string stdout, string stderr) = await ChildProcess.RunHostUnderAsync(ChildProcess.FileLimit(64), "run", "--registry", folder.RegistryPath);

        Assert.True(exit == 2, $"exit {exit}, stderr '{stderr}'");
        Assert.Empty(stdout);
        OneLine(stderr);
        Assert.Contains("limit is 64", stderr, StringComparison.Ordinal);
        Assert.Contains("at least 256", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_goes_to_stdout_with_exit_0()
    {
        (int exit, string stdout, _) = await ChildProcess.RunHostAsync(null, "--help");

        Assert.Equal(0, exit);
        Assert.Contains("peerengine [command] [options]", stdout, StringComparison.Ordinal);
        foreach (string command in new[] { "demo", "run", "peers", "send" })
        {
            Assert.Contains(command, stdout, StringComparison.Ordinal);
        }
    }
}
