using System.Globalization;
using System.Net;
using System.Runtime.Versioning;
using PeerEngine.Framing;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Connections;

/// <summary>
/// A node in a child process whose open-file limit is lowered to <see cref="FileLimit"/> with
/// prlimit (at the limit every .NET stack measured died). Its default cap keeps a reserve
/// below the limit, and whatever the cap, the last descriptors are left to the runtime: past either
/// it refuses, keeps serving what it has, and says so.
/// </summary>
[Collection(RegistryProcessGroup.Name)]
[SupportedOSPlatform("linux")]
public sealed class DescriptorLimitTests : IDisposable
{
    private const int FileLimit = 256;
    private static readonly TimeSpan HelloWait = TimeSpan.FromSeconds(2);

    private readonly TempFolder _folder = new();
    private readonly List<RawPeer> _peers = [];

    [Fact]
    public async Task By_default_connections_are_refused_before_the_limit_and_the_open_ones_are_served()
    {
        using ChildProcess node = StartNode("default");
        (IPEndPoint endPoint, int cap) = await ReadyAsync(node);
        Assert.InRange(cap, 1, FileLimit - 64);

        await FillUntilRefusedAsync(endPoint);

        // Refused by the cap (102), or first by the descriptors the runtime opened since the cap was
        // worked out (104): either way before the limit.
        Assert.InRange(_peers.Count, 100, cap);
        string refusal = await NextLogAsync(node, 102, 104);
        Assert.Contains("refused", refusal, StringComparison.Ordinal);
        await ServedAndAdmittingAgainAsync(node, endPoint);
    }

    [Fact]
    public async Task With_a_cap_above_the_limit_the_last_descriptors_are_still_kept_for_the_runtime()
    {
        // The cap is no protection here: the node must refuse on its own once few descriptors are
        // left, or the runtime fails to open what it needs and aborts ("Out of memory.", as every
        // .NET stack measured did, and as this node did before it kept this reserve).
        using ChildProcess node = StartNode("100000");
        (IPEndPoint endPoint, _) = await ReadyAsync(node);

        await FillUntilRefusedAsync(endPoint);

        Assert.InRange(_peers.Count, 100, FileLimit - 32);
        Assert.Contains("file descriptors left", await NextLogAsync(node, 104), StringComparison.Ordinal);
        await ServedAndAdmittingAgainAsync(node, endPoint);
    }

    [Fact]
    public async Task A_limit_lowered_while_the_node_runs_is_read_again_and_the_reserve_is_kept_below_it()
    {
        using ChildProcess node = ChildProcess.StartWithFileLimit(FileLimit * 4, "listen", _folder.RegistryPath, "lowered", "100000");
        (IPEndPoint endPoint, _) = await ReadyAsync(node);
        for (int i = 0; i < 100; i++)
        {
            _peers.Add(await RawPeer.HandshakeAsync(endPoint, "filler"));
        }

        // Lowered under the node's feet: fewer descriptors are free than the runtime's reserve.
        int open = Directory.GetFileSystemEntries($"/proc/{node.Id}/fd").Length;
        int lowered = open + 8;
        Prlimit(node.Id, lowered);

        // Refused at once against the new limit: the descriptors left are the runtime's.
        await ExpectRefusedAsync(endPoint);
        Assert.Contains("file descriptors left", await NextLogAsync(node, 104), StringComparison.Ordinal);

        // A few close, fewer than the reserve: the next connection takes a low descriptor (a hole
        // they left) and is still refused, by a count of what is open.
        for (int i = 0; i < 16; i++)
        {
            await _peers[0].DisposeAsync();
            _peers.RemoveAt(0);
        }

        await ExpectRefusedAsync(endPoint);
        Assert.False(node.HasExited, node.Stderr);

        // Once enough close for the reserve to hold, the node admits again and serves.
        for (int i = 0; i < 48; i++)
        {
            await _peers[0].DisposeAsync();
            _peers.RemoveAt(0);
        }

        await ServedAndAdmittingAgainAsync(node, endPoint);
    }

    private static async Task ExpectRefusedAsync(IPEndPoint endPoint)
    {
        await using RawPeer refused = await RawPeer.ConnectAsync(endPoint);
        await refused.SendAsync(FrameBytes.Written(w => FrameWriter.WriteHello(w, "refused")));
        await refused.ExpectClosedAsync();
    }

    private static void Prlimit(int processId, int limit)
    {
        using var prlimit = System.Diagnostics.Process.Start("prlimit", ["--pid", processId.ToString(CultureInfo.InvariantCulture), FormattableString.Invariant($"--nofile={limit}:{limit}")]);
        prlimit.WaitForExit();
        Assert.Equal(0, prlimit.ExitCode);
    }

    /// <summary>Handshakes connections until one is closed without a HELLO (refused).</summary>
    private async Task FillUntilRefusedAsync(IPEndPoint endPoint)
    {
        for (int i = 0; i < FileLimit; i++)
        {
            RawPeer peer = await RawPeer.ConnectAsync(endPoint);
            await peer.SendAsync(FrameBytes.Written(w => FrameWriter.WriteHello(w, "filler")));
            try
            {
                await peer.ReadFrameAsync(TimeSpan.FromSeconds(10));
                _peers.Add(peer);
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or EndOfStreamException)
            {
                await peer.DisposeAsync();
                return;
            }
        }

        Assert.Fail($"{FileLimit} connections under a limit of {FileLimit} descriptors, none refused");
    }

    /// <summary>The open connections still answer, a place freed is given again, and the node is up.</summary>
    private async Task ServedAndAdmittingAgainAsync(ChildProcess node, IPEndPoint endPoint)
    {
        foreach (RawPeer open in new[] { _peers[0], _peers[_peers.Count / 2], _peers[^1] })
        {
            await EchoAsync(open, 7);
        }

        for (int i = 0; i < 10; i++)
        {
            await _peers[^1].DisposeAsync();
            _peers.RemoveAt(_peers.Count - 1);
        }

        RawPeer again = await HandshakeWhenAdmittedAsync(endPoint);
        _peers.Add(again);
        await EchoAsync(again, 8);
        Assert.False(node.HasExited, node.Stderr);
    }

    public void Dispose()
    {
        foreach (RawPeer peer in _peers)
        {
            peer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _folder.Dispose();
    }

    private ChildProcess StartNode(string maxConnections) =>
        ChildProcess.StartWithFileLimit(FileLimit, "listen", _folder.RegistryPath, "fd-limited", maxConnections);

    /// <summary>Connects until the node admits the connection (it may still be counting the one just closed).</summary>
    private static async Task<RawPeer> HandshakeWhenAdmittedAsync(IPEndPoint endPoint)
    {
        DateTime deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                return await RawPeer.HandshakeAsync(endPoint, wait: HelloWait);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>The child's "ready PID ID PORT CAP" line: where it listens and the cap in effect.</summary>
    private static async Task<(IPEndPoint EndPoint, int Cap)> ReadyAsync(ChildProcess node)
    {
        string[] ready;
        do
        {
            ready = (await node.ReadLineAsync()).Split(' ');
        }
        while (ready[0] != "ready"); // the node's start is logged first
        return (new IPEndPoint(IPAddress.Loopback, int.Parse(ready[3], CultureInfo.InvariantCulture)), int.Parse(ready[4], CultureInfo.InvariantCulture));
    }

    /// <summary>The next log line of one of the events <paramref name="eventIds"/> the child writes.</summary>
    private static async Task<string> NextLogAsync(ChildProcess node, params int[] eventIds)
    {
        string[] prefixes = [.. eventIds.Select(id => FormattableString.Invariant($"log {id} "))];
        while (true)
        {
            string line = await node.ReadLineAsync();
            if (prefixes.Any(p => line.StartsWith(p, StringComparison.Ordinal)))
            {
                return line;
            }
        }
    }

    private static async Task EchoAsync(RawPeer peer, uint id)
    {
        byte[] payload = [.. "still served"u8, (byte)id];
        await peer.SendAsync(FrameBytes.Build(FrameKind.Request, id, payload));
        (FrameHeader header, byte[] echoed) = await peer.ReadFrameAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(FrameKind.Response, header.Kind);
        Assert.Equal(id, header.CorrelationId);
        Assert.Equal(payload, echoed);
    }
}
