using System.Diagnostics;
using System.Runtime.Versioning;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Cli;

/// <summary>The console host when its peer misbehaves, through real processes.</summary>
[SupportedOSPlatform("linux")]
[Collection(RegistryProcessGroup.Name)]
public sealed class HostFaultTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Send_count_to_a_peer_frozen_mid_run_ends_within_its_timeout_plus_1_s()
    {
        using var folder = new TempFolder();
        using ChildProcess run = ChildProcess.StartHost(null, "run", "--id", "frozen", "--registry", folder.RegistryPath);
        await run.ReadLineAsync();
        using ChildProcess send = ChildProcess.StartHost(null, "send", "--to", "frozen", "--registry", folder.RegistryPath, "--count", "10000000", "--concurrency", "32", "--timeout", "2", "--", "ping");
        await Eventually.TrueAsync(() => run.Stderr.Contains("to peer", StringComparison.Ordinal), "the peer shows the connection", TimeSpan.FromSeconds(30));

        run.Stop();
        var frozenFor = Stopwatch.StartNew();
        try
        {
            int exit = await send.WaitForExitAsync();
            TimeSpan took = frozenFor.Elapsed;

            Assert.Equal(3, exit);
            Assert.True(took <= Timeout + TimeSpan.FromSeconds(1), $"send ended {took.TotalSeconds:0.000} s after its peer froze; its timeout is {Timeout.TotalSeconds} s");
            Assert.Contains("stopped after", send.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            run.Continue();
        }
    }
}
