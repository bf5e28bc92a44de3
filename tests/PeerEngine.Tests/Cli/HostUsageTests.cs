using System.Runtime.Versioning;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;
using static PeerEngine.Tests.Cli.HostOutput;

namespace PeerEngine.Tests.Cli;

/// <summary>What the host says about its own use: usage, option errors, help, its start log.</summary>
[SupportedOSPlatform("linux")]
public sealed class HostUsageTests
{
    [Theory]
    [InlineData]
    [InlineData("bogus")]
    [InlineData("registry")]
    public async Task A_missing_or_unknown_command_is_one_error_line_and_the_usage(params string[] args)
    {
        (int exit, string stdout, string stderr) = await ChildProcess.RunHostAsync(null, args);

        Assert.Equal(2, exit);
        OneLine(stderr);
        Assert.Contains("Usage:", stdout, StringComparison.Ordinal);
        Assert.Contains("Commands:", stdout, StringComparison.Ordinal);
        if (args is [string unknown])
        {
            Assert.Contains(unknown == "bogus" ? "'bogus'" : "command", stderr, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("--port 99999", "--port must be 0 to 65535, not 99999")]
    [InlineData("--max-payload 0", "--max-payload must be positive")]
    [InlineData("--keepalive-interval 50", "--keepalive-timeout must be longer than --keepalive-interval")]
    [InlineData("--host localhost", "--host must be an IP address, not 'localhost'")]
    public async Task Option_errors_name_the_option_as_it_is_typed(string option, string error)
    {
        using var folder = new TempFolder();

        (int exit, _, string stderr) = await ChildProcess.RunHostAsync(null, ["run", "--registry", folder.RegistryPath, .. option.Split(' ')]);

        Assert.Equal(2, exit);
        OneLine(stderr);
        Assert.Contains(error, stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Option ", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("send")]
    [InlineData("peers")]
    [InlineData("registry", "export")]
    public async Task Help_gives_each_default_once(params string[] command)
    {
        (int exit, string stdout, _) = await ChildProcess.RunHostAsync(null, [.. command, "--help"]);

        Assert.Equal(0, exit);
        Assert.DoesNotContain("default", stdout.Replace("[default: ", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_start_log_mentions_a_unix_socket_only_when_there_is_one()
    {
        using var folder = new TempFolder();
        using ChildProcess run = ChildProcess.StartHost(null, "run", "--id", "tcp-only", "--registry", folder.RegistryPath, "--no-unix");
        await run.ReadLineAsync();

        await Eventually.TrueAsync(() => run.Stderr.Contains("Node tcp-only started", StringComparison.Ordinal), "the node logs its start");

        Assert.DoesNotContain("(null)", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("unix", run.Stderr, StringComparison.OrdinalIgnoreCase);
    }
}
