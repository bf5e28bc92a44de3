using System.Globalization;
using System.Net;
using System.Runtime.Versioning;
using PeerEngine.Framing;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Connections;

/// <summary>
/// A node near its process's file-descriptor limit (a child started under `ulimit -n 128`): every
/// .NET stack measured here died at the limit; by default this one caps its connections below it.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class DescriptorLimitTests
{
    private const int DescriptorLimit = 128;

    [Fact]
    public async Task By_default_the_connection_cap_stays_below_the_descriptor_limit()
    {
        using var folder = new TempFolder();
        using ChildProcess child = ChildProcess.StartWithDescriptorLimit(DescriptorLimit, "serve", folder.RegistryPath, "capped", "default");
        string[] ready = (await child.ReadLineAsync()).Split(' ');
        var server = new IPEndPoint(IPAddress.Loopback, int.Parse(ready[3], CultureInfo.InvariantCulture));
        int cap = int.Parse(ready[4], CultureInfo.InvariantCulture);
        Assert.InRange(cap, 1, DescriptorLimit - 64);
        var open = new List<RawPeer>();
        try
        {
            for (int i = 0; i < cap; i++)
            {
                open.Add(await RawPeer.HandshakeAsync(server, wait: TimeSpan.FromSeconds(10)));
            }

            // One more is refused at once (closed), not left to exhaust the process.
            await using RawPeer refused = await RawPeer.ConnectAsync(server);
            try
            {
                await refused.SendAsync(Hello());
                await refused.ExpectClosedAsync();
            }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionReset)
            {
                // Refused before the HELLO went out: closed all the same.
            }

            Assert.False(child.HasExited, child.Stderr);
            await EchoAsync(open[0], 4);
        }
        finally
        {
            foreach (RawPeer peer in open)
            {
                await peer.DisposeAsync();
            }
        }
    }

    private static byte[] Hello() => FrameBytes.Written(w => FrameWriter.WriteHello(w, "fd-test"));

    private static async Task EchoAsync(RawPeer peer, uint id)
    {
        await peer.SendAsync(FrameBytes.Build(FrameKind.Request, id, "still served"u8));
        (FrameHeader response, byte[] payload) = await peer.ReadFrameAsync();
        Assert.Equal(new FrameHeader(12, FrameKind.Response, 0, id), response);
        Assert.Equal("still served"u8.ToArray(), payload);
    }
}
