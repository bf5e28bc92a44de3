using System.Globalization;
using System.Net;
using System.Runtime.Versioning;
using PeerEngine.Framing;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Connections;

/// <summary>
/// A node in a child process whose open-file limit is lowered to <see cref="FileLimit"/> with
/// prlimit (issue 3: at the limit every .NET stack measured died). Its default cap keeps a reserve
/// below the limit: past the cap it refuses, keeps serving what it has, and says so.
/// </summary>
/// <remarks>
/// Not tested here: a cap set above the limit, so that accept itself fails with EMFILE. The node
/// backs off and logs (event 101), but with no descriptor left the runtime itself fails to open what
/// it needs (strace shows a new thread's pipe and a lazily loaded assembly failing with EMFILE), and
/// in about one run in five a connection accepted at the edge was reset or the listener was lost.
/// That is why the default cap keeps a reserve; a test of it would pass by luck.
/// </remarks>
[Collection(RegistryProcessGroup.Name)]
[SupportedOSPlatform("linux")]
public sealed class DescriptorLimitTests : IDisposable
{
    private const int FileLimit = 256;
    private static readonly TimeSpan HelloWait = TimeSpan.FromSeconds(2);

    private readonly TempFolder _folder = new();
    private readonly List<RawPeer> _peers = [];

    [Fact]
    public async Task By_default_the_cap_stays_below_the_limit_and_past_it_connections_are_refused_while_the_open_ones_are_served()
    {
        using ChildProcess node = await StartNodeAsync("default");
        (IPEndPoint endPoint, int cap) = await ReadyAsync(node);
        Assert.InRange(cap, 1, FileLimit - 64);

        for (int i = 0; i < cap; i++)
        {
            _peers.Add(await RawPeer.HandshakeAsync(endPoint, wait: TimeSpan.FromSeconds(10)));
        }

        await using (RawPeer refused = await RawPeer.ConnectAsync(endPoint))
        {
            await refused.SendAsync(FrameBytes.Written(w => FrameWriter.WriteHello(w, "one-too-many")));
            await refused.ExpectClosedAsync();
        }

        Assert.StartsWith("log 102 ", await NextLogAsync(node, 102));
        await EchoAsync(_peers[0], 1);
        await EchoAsync(_peers[^1], 2);

        // A place freed is a place given: the cap counts open connections, not connections ever made.
        await _peers[0].DisposeAsync();
        _peers.RemoveAt(0);
        RawPeer again = await HandshakeWhenAdmittedAsync(endPoint);
        _peers.Add(again);
        await EchoAsync(again, 3);
        Assert.False(node.HasExited);
    }

    public void Dispose()
    {
        foreach (RawPeer peer in _peers)
        {
            peer.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _folder.Dispose();
    }

    private Task<ChildProcess> StartNodeAsync(string maxConnections) =>
        Task.FromResult(ChildProcess.StartWithFileLimit(
            FileLimit, "listen", _folder.RegistryPath, "fd-limited", maxConnections));

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

    /// <summary>The next log line of event <paramref name="eventId"/> the child writes.</summary>
    private static async Task<string> NextLogAsync(ChildProcess node, int eventId)
    {
        string prefix = FormattableString.Invariant($"log {eventId} ");
        while (true)
        {
            string line = await node.ReadLineAsync();
            if (line.StartsWith(prefix, StringComparison.Ordinal))
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
