using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using PeerEngine.Buffers;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Cli;

/// <summary>
/// One trace across two processes: this test embeds a node and records its spans; the host
/// (`peerengine run`, a child process) logs its own finished spans at debug level. The host's server
/// span must name this process's client span as its parent, in the same trace.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class HostTraceTests
{
    private static readonly Dictionary<string, string> DebugLogs = new(StringComparer.Ordinal)
    {
        ["Logging__LogLevel__PeerEngine"] = "Debug",
    };

    [Fact]
    public async Task The_hosts_server_span_is_the_child_of_the_embedding_nodes_client_span()
    {
        using var spans = new SpanRecorder();
        using var folder = new TempFolder();
        using ChildProcess run = ChildProcess.StartHost(DebugLogs, "run", "--id", "traced-host", "--registry", folder.RegistryPath);
        Match listening = Regex.Match(await run.ReadLineAsync(), @"^listening (\S+) id=traced-host$");
        Assert.True(listening.Success, run.Stderr);
        await using var node = new PeerNode(new PeerNodeOptions { NodeId = "embedding", Listen = false, Discover = false });
        await node.StartAsync();

        ActivityTraceId traceId;
        using (Activity root = SpanRecorder.TestSource.StartActivity("test")!)
        {
            traceId = root.TraceId;
            using PooledPayload answer = await node.RequestAsync(PeerAddress.Parse(listening.Groups[1].Value), "across"u8.ToArray());
            Assert.Equal("across"u8.ToArray(), answer.ToArray());
        }

        Activity client = Assert.Single(spans.Of(traceId), a => a.Kind == ActivityKind.Client);
        string serverLine = $@"Span peerengine \(Server\) trace {traceId} span [0-9a-f]{{16}} parent {client.SpanId} status Unset";
        await Eventually.TrueAsync(() => Regex.IsMatch(run.Stderr, serverLine), () => $"the host logs its server span under {client.SpanId}:{Environment.NewLine}{run.Stderr}", TimeSpan.FromSeconds(30));
        Assert.Contains("follows protocol version 2", run.Stderr, StringComparison.Ordinal);

        run.Terminate();
        Assert.Equal(0, await run.WaitForExitAsync());
    }

    [Fact]
    public async Task A_host_run_with_protocol_version_1_speaks_version_1_and_still_answers()
    {
        using var folder = new TempFolder();
        using ChildProcess run = ChildProcess.StartHost(DebugLogs, "run", "--id", "old-host", "--registry", folder.RegistryPath, "--protocol-version", "1");
        Match listening = Regex.Match(await run.ReadLineAsync(), @"^listening (\S+) id=old-host$");
        Assert.True(listening.Success, run.Stderr);
        await using var node = new PeerNode(new PeerNodeOptions { NodeId = "embedding", Listen = false, Discover = false });
        await node.StartAsync();

        // The node offers version 2, is refused with ERROR 3, and dials again with version 1.
        using (PooledPayload answer = await node.RequestAsync(PeerAddress.Parse(listening.Groups[1].Value), "old"u8.ToArray()))
        {
            Assert.Equal("old"u8.ToArray(), answer.ToArray());
        }

        await Eventually.TrueAsync(() => run.Stderr.Contains("follows protocol version 1", StringComparison.Ordinal), () => run.Stderr, TimeSpan.FromSeconds(30));
        run.Terminate();
        Assert.Equal(0, await run.WaitForExitAsync());
    }
}
