using System.Globalization;
using System.Net;
using System.Net.Sockets;
using PeerEngine.Framing;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Node;

/// <summary>
/// A handler that throws after its connection was reset by the peer, in a node of its own process:
/// the exception must end in a log line, never on the thread pool (which would end the process).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HandlerFailureProcessTests
{
    [Theory]
    [InlineData(FrameKind.Request)]
    [InlineData(FrameKind.Message)]
    public async Task A_handler_that_throws_after_its_peer_reset_the_connection_does_not_end_the_process(FrameKind kind)
    {
        using var folder = new TempFolder();
        using ChildProcess node = ChildProcess.Start("throwing-node", folder.RegistryPath, "target");
        string[] ready = (await node.ReadLineAsync()).Split(' ');
        var endPoint = new IPEndPoint(IPAddress.Loopback, int.Parse(ready[3], CultureInfo.InvariantCulture));

        await using (RawPeer hangingUp = await RawPeer.HandshakeAsync(endPoint))
        {
            await hangingUp.SendAsync(FrameBytes.Build(kind, kind == FrameKind.Request ? 1u : 0u, [0x01]));
            Assert.StartsWith("waiting", await node.ReadLineAsync(), StringComparison.Ordinal);

            // A reset, as a client that crashed or closed with unread bytes would cause.
            hangingUp.Socket.LingerState = new LingerOption(true, 0);
        }

        Assert.StartsWith("throwing", await node.ReadLineAsync(), StringComparison.Ordinal);

        // The process is still there and still answers, on a new connection.
        await using RawPeer next = await RawPeer.HandshakeAsync(endPoint);
        await next.SendAsync(FrameBytes.Build(FrameKind.Request, 7, "still here"u8));
        (FrameHeader header, byte[] payload) = await next.ReadFrameAsync();
        Assert.Equal(FrameKind.Response, header.Kind);
        Assert.Equal(7u, header.CorrelationId);
        Assert.Equal("still here"u8.ToArray(), payload);
        Assert.False(node.HasExited, $"the node exited: {node.Stderr}");
        Assert.Equal(0, await node.ExitGracefullyAsync());
    }
}
