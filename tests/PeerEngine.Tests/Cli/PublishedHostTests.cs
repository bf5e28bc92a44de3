using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Text.Json;

using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Cli;

/// <summary>The host as users deploy it: <c>dotnet publish</c>, then the command <c>peerengine</c> from the publish folder.</summary>
// Publishing takes both cores: not beside the other child-process tests.
[Collection(RegistryProcessGroup.Name)]
[SupportedOSPlatform("linux")]
public sealed class PublishedHostTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task The_publish_folder_has_a_peerengine_command_that_answers_help_and_lists_peers()
    {
        string publish = _folder.PathOf("publish");
        await DotnetCli.RunCheckedAsync(
            Repository.Root, "publish", Repository.PathOf("src", "PeerEngine.Host", "PeerEngine.Host.csproj"),
            "-c", Repository.Configuration, "--no-build", "--no-restore", "-o", publish);
        string peerengine = Path.Combine(publish, "peerengine");
        Assert.True(File.Exists(peerengine), $"no peerengine in the publish folder: {string.Join(", ", Directory.GetFiles(publish).Select(Path.GetFileName))}");
        Assert.True(File.GetUnixFileMode(peerengine).HasFlag(UnixFileMode.UserExecute), "peerengine is not executable");

        (int exitCode, string stdout, string stderr) = await RunAsync(peerengine, "--help");
        Assert.True(exitCode == 0, stderr);
        Assert.Contains("peerengine [command] [options]", stdout, StringComparison.Ordinal);

        await using var alice = new PeerNode(new PeerNodeOptions { NodeId = "alice", Registry = new PeerRegistryOptions { Path = _folder.RegistryPath } });
        await alice.StartAsync();
        (exitCode, stdout, stderr) = await RunAsync(peerengine, "peers", "--registry", _folder.RegistryPath, "--json");
        Assert.True(exitCode == 0, stderr);
        JsonElement peer = Assert.Single(JsonDocument.Parse(stdout).RootElement.EnumerateArray());
        Assert.Equal("alice", peer.GetProperty("id").GetString());
        Assert.Equal(alice.TcpEndPoint!.Port, peer.GetProperty("port").GetInt32());
    }

    /// <summary>Runs the command from another folder than its own, as a deployed command is run.</summary>
    private Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string command, params string[] args)
    {
        // A runtime outside the default locations is found as users point to it: DOTNET_ROOT.
        var environment = new Dictionary<string, string>();
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_ROOT")))
        {
            // RuntimeDirectory is DOTNET_ROOT/shared/Microsoft.NETCore.App/VERSION/.
            environment["DOTNET_ROOT"] = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        }

        return DotnetCli.RunAsync(command, _folder.FolderPath, environment, args);
    }
}
