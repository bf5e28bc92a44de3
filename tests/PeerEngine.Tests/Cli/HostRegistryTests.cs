using System.Runtime.Versioning;
using System.Text.Json;
using PeerEngine.Registry;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;
using static PeerEngine.Tests.Cli.HostOutput;

namespace PeerEngine.Tests.Cli;

/// <summary>
/// The registry as the host reaches it: only a file that does not exist yet is an empty registry;
/// anything that cannot be read is bad input (exit 2, one line naming the path), never an empty list.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class HostRegistryTests
{
    private static string[][] RegistryCommands(string path) =>
    [
        ["peers", "--registry", path],
        ["send", "--to", "owner", "--registry", path, "hi"],
        ["run", "--registry", path],
    ];

    [Fact]
    public async Task A_registry_path_that_is_a_directory_is_bad_input_that_says_so()
    {
        using var folder = new TempFolder();

        foreach (string[] command in RegistryCommands(folder.FolderPath))
        {
            (int exit, string stdout, string stderr) = await ChildProcess.RunHostAsync(null, command);

            Assert.True(exit == 2, $"{command[0]}: exit {exit}, stdout '{stdout}', stderr '{stderr}'");
            OneLine(stderr);
            Assert.Contains(folder.FolderPath, stderr, StringComparison.Ordinal);
            Assert.Contains("is a directory", stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_registry_under_a_folder_that_cannot_exist_is_bad_input_not_an_empty_list()
    {
        const string impossible = "/proc/nope/reg.bin";

        foreach (string[] command in RegistryCommands(impossible))
        {
            (int exit, string stdout, string stderr) = await ChildProcess.RunHostAsync(null, command);

            Assert.True(exit == 2, $"{command[0]}: exit {exit}, stdout '{stdout}', stderr '{stderr}'");
            OneLine(stderr);
            Assert.Contains(impossible, stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_registry_another_user_cannot_read_is_bad_input_not_an_empty_list()
    {
        using var folder = new TempFolder();
        using var registry = new PeerRegistry(new PeerRegistryOptions { Path = folder.RegistryPath });
        using IPeerRegistration owner = registry.Publish(new PeerAnnouncement { Id = "owner", Host = "127.0.0.1", Port = Ports.ClosedLoopbackPort() });

        // First behind the owner's private folder (0700), then with the folder open and the file private (0600).
        foreach (UnixFileMode folderMode in new[] { (UnixFileMode)0b111_000_000, (UnixFileMode)0b111_101_101 })
        {
            File.SetUnixFileMode(folder.FolderPath, folderMode);
            foreach (string[] command in RegistryCommands(folder.RegistryPath)[..2])
            {
                (int exit, string stdout, string stderr) = await ChildProcess.RunHostUnderAsync(ChildProcess.AsNobody, command);

                Assert.True(exit == 2, $"{command[0]} with the folder {folderMode}: exit {exit}, stdout '{stdout}', stderr '{stderr}'");
                OneLine(stderr);
                Assert.Contains(folder.RegistryPath, stderr, StringComparison.Ordinal);
                Assert.Contains("permission denied", stderr, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_registry_file_that_does_not_exist_yet_is_an_empty_registry_and_is_not_created()
    {
        using var folder = new TempFolder();

        // An explicit path in a folder that exists, and the default path before its folder is made.
        var defaultInRuntimeDir = new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = folder.FolderPath, ["PEERENGINE_REGISTRY"] = "" };
        foreach ((Dictionary<string, string>? environment, string[] args) in new[]
        {
            ((Dictionary<string, string>?)null, new[] { "peers", "--json", "--registry", folder.RegistryPath }),
            (defaultInRuntimeDir, ["peers", "--json"]),
        })
        {
            (int exit, string stdout, string stderr) = await ChildProcess.RunHostAsync(environment, args);

            Assert.True(exit == 0, stderr);
            Assert.Equal("[]", stdout.Trim());
        }

        Assert.Empty(Directory.EnumerateFileSystemEntries(folder.FolderPath));
    }

    [Fact]
    public async Task Without_HOME_the_default_registry_is_a_private_folder_in_the_temp_folder()
    {
        // nobody's passwd home (/nonexistent) does not exist, so nothing but the temp folder is left.
        string fallback = Path.Combine(Path.GetTempPath(), "peerengine-65534");
        string[] launcher = ["env", "-u", "HOME", "-u", "XDG_RUNTIME_DIR", "-u", "XDG_STATE_HOME", "-u", "PEERENGINE_REGISTRY", .. ChildProcess.AsNobody];
        DeleteIfPresent(fallback);
        try
        {
            (int emptyExit, string empty, string emptyErr) = await ChildProcess.RunHostUnderAsync(launcher, "peers", "--json");
            Assert.True(emptyExit == 0, emptyErr);
            Assert.Equal("[]", empty.Trim());

            using ChildProcess run = ChildProcess.StartHostUnder(launcher, "run", "--id", "homeless");
            Assert.EndsWith(" id=homeless", await run.ReadLineAsync(), StringComparison.Ordinal);

            (int exit, string json, string stderr) = await ChildProcess.RunHostUnderAsync(launcher, "peers", "--json");
            Assert.True(exit == 0, stderr);
            JsonElement peer = Assert.Single(JsonDocument.Parse(json).RootElement.EnumerateArray().ToList());
            Assert.Equal("homeless", peer.GetProperty("id").GetString());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(fallback));
            Assert.True(File.Exists(Path.Combine(fallback, "registry.bin")));

            run.Terminate();
            Assert.Equal(0, await run.WaitForExitAsync());
        }
        finally
        {
            DeleteIfPresent(fallback);
        }
    }

    private static void DeleteIfPresent(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
