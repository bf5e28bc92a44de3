using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Node;

/// <summary>
/// Under DI each instrument exists once, on the meter the host's IMeterFactory made: no second,
/// process-wide <c>PeerEngine</c> meter beside it (whose copies would read 0 in dotnet-counters).
/// Checked in a child process, where no other test's meters are in sight.
/// </summary>
public sealed class MetricsUnderDiTests
{
    [Fact]
    public async Task A_hosted_node_publishes_each_instrument_once_on_the_factorys_meter()
    {
        using var folder = new TempFolder();

        (int exit, string stdout, string stderr) = await ChildProcess.RunPeerAsync("metrics-under-di", folder.RegistryPath);

        Assert.True(exit == 0, stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string[] names = [.. lines.Select(line => line.Split(' ')[0])];
        Assert.All(lines, line => Assert.EndsWith(" factory", line, StringComparison.Ordinal));
        Assert.Equal(names.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        Assert.Contains("peerengine.client.request.duration", names);
        Assert.Contains("peerengine.server.request.duration", names);
        Assert.Contains("peerengine.active_connections", names);
        Assert.Contains("peerengine.bytes.received", names);
    }
}
