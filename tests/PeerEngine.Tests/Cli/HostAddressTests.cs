using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;
using static PeerEngine.Tests.Cli.HostOutput;

namespace PeerEngine.Tests.Cli;

/// <summary><c>send --to</c> with an address: the node there is reached without the registry (host-cli.md, "Addresses").</summary>
[SupportedOSPlatform("linux")]
public sealed class HostAddressTests
{
    [Fact]
    public async Task Send_reaches_a_node_by_tcp_address_and_by_unix_socket_without_its_registry()
    {
        using var serverFolder = new TempFolder();
        using var clientFolder = new TempFolder();
        string unixPath = TempPaths.UnixSocket();
        using ChildProcess run = ChildProcess.StartHost(null, "run", "--id", "by-address", "--registry", serverFolder.RegistryPath, "--unix", unixPath);
        Match listening = Regex.Match(await run.ReadLineAsync(), @"^listening 127\.0\.0\.1:(\d+) id=by-address$");
        Assert.True(listening.Success);

        // The client's registry is another, empty one: only the address can lead it there.
        foreach (string address in new[] { $"127.0.0.1:{listening.Groups[1].Value}", $"unix:{unixPath}" })
        {
            (int exit, string answer, string stderr) = await ChildProcess.RunHostAsync(null, "send", "--to", address, "--registry", clientFolder.RegistryPath, "--", "hi there");
            Assert.True(exit == 0, $"{address}: {stderr}");
            Assert.Equal("hi there\n", answer);
        }

        (int countExit, string summary, string countErr) = await ChildProcess.RunHostAsync(null, "send", "--to", $"127.0.0.1:{listening.Groups[1].Value}", "--registry", clientFolder.RegistryPath, "--count", "20", "--", "x");
        Assert.True(countExit == 0, countErr);
        Assert.StartsWith($"20 requests to 127.0.0.1:{listening.Groups[1].Value}, 1 at a time", summary, StringComparison.Ordinal);
        Assert.EndsWith("\ntransport: tcp\n", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_count_names_the_transport_it_used_which_transport_chooses()
    {
        using var folder = new TempFolder();
        using ChildProcess run = ChildProcess.StartHost(null, "run", "--id", "two-ways", "--registry", folder.RegistryPath, "--unix", TempPaths.UnixSocket());
        await run.ReadLineAsync();

        // A peer on this machine that publishes a Unix socket offers shared memory beside it: reached
        // over that unless the plain socket or TCP is asked for.
        foreach ((string asked, string used) in new[] { ("auto", "shm"), ("shm", "shm"), ("unix", "unix"), ("tcp", "tcp") })
        {
            (int exit, string stdout, string stderr) = await ChildProcess.RunHostAsync(null, "send", "--to", "two-ways", "--registry", folder.RegistryPath, "--count", "5", "--transport", asked, "--", "x");
            Assert.True(exit == 0, $"{asked}: {stderr}");
            string[] lines = stdout.TrimEnd('\n').Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("5 requests to two-ways, 1 at a time", lines[0], StringComparison.Ordinal);
            Assert.Equal($"transport: {used}", lines[1]);
        }

        using ChildProcess tcpOnly = ChildProcess.StartHost(null, "run", "--id", "tcp-only", "--registry", folder.RegistryPath, "--no-unix");
        await tcpOnly.ReadLineAsync();
        (int shmExit, _, string shmErr) = await ChildProcess.RunHostAsync(null, "send", "--to", "tcp-only", "--registry", folder.RegistryPath, "--transport", "shm", "--", "x");
        Assert.Equal(2, shmExit);
        OneLine(shmErr);
        Assert.Contains("offers no shared memory", shmErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_peer_run_with_no_transport_option_is_reached_over_shared_memory_and_leaves_no_socket_behind()
    {
        using var folder = new TempFolder();
        using ChildProcess run = ChildProcess.StartHost(null, "run", "--id", "defaults", "--registry", folder.RegistryPath);
        await run.ReadLineAsync();

        (int exit, string stdout, string stderr) = await ChildProcess.RunHostAsync(null, "send", "--to", "defaults", "--registry", folder.RegistryPath, "--count", "5", "--", "x");

        Assert.True(exit == 0, stderr);
        Assert.EndsWith("\ntransport: shm\n", stdout, StringComparison.Ordinal);
        Assert.Equal(2, Sockets(folder).Length);
        run.Terminate();
        Assert.Equal(0, await run.WaitForExitAsync());
        Assert.Empty(Sockets(folder));

        // A node killed outright cannot remove its sockets: the next one to start beside the registry does.
        using (ChildProcess killed = ChildProcess.StartHost(null, "run", "--id", "killed", "--registry", folder.RegistryPath))
        {
            await killed.ReadLineAsync();
            killed.Kill();
        }

        string[] left = Sockets(folder);
        Assert.Equal(2, left.Length);
        using ChildProcess next = ChildProcess.StartHost(null, "run", "--id", "next", "--registry", folder.RegistryPath);
        await next.ReadLineAsync();
        Assert.All(left, path => Assert.False(File.Exists(path), path));
    }

    [Fact]
    public async Task Unix_and_no_unix_together_are_bad_usage()
    {
        using var folder = new TempFolder();
        (int exit, _, string stderr) = await ChildProcess.RunHostAsync(null, "run", "--registry", folder.RegistryPath, "--unix", TempPaths.UnixSocket(), "--no-unix");

        Assert.Equal(2, exit);
        OneLine(stderr);
        Assert.Contains("--unix and --no-unix", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:99999", "out of range")]
    [InlineData("::1:5000", "brackets")]
    [InlineData("unix:", "path is empty")]
    [InlineData("host:port", "not a number")]
    public async Task A_malformed_address_is_bad_usage_with_one_line_saying_why(string address, string why)
    {
        using var folder = new TempFolder();

        (int exit, string stdout, string stderr) = await ChildProcess.RunHostAsync(null, "send", "--to", address, "--registry", folder.RegistryPath, "hi");

        Assert.Equal(2, exit);
        Assert.Empty(stdout);
        OneLine(stderr);
        Assert.Contains(why, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_address_where_nothing_listens_is_unreachable_with_one_line()
    {
        using var folder = new TempFolder();
        int port = Ports.ClosedLoopbackPort();

        (int exit, _, string stderr) = await ChildProcess.RunHostAsync(null, "send", "--to", $"127.0.0.1:{port}", "--registry", folder.RegistryPath, "--timeout", "2", "hi");

        Assert.Equal(3, exit);
        OneLine(stderr);
        Assert.Contains($"127.0.0.1:{port}", stderr, StringComparison.Ordinal);
    }

    private static string[] Sockets(TempFolder folder) => Directory.GetFiles(folder.FolderPath, "peer-*.sock*");
}
