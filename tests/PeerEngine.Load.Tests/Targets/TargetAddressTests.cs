using System.Net;
using System.Net.Sockets;
using PeerEngine.Load.Targets;

namespace PeerEngine.Load.Tests.Targets;

public sealed class TargetAddressTests
{
    [Theory]
    [InlineData(null, "Embedded")]
    [InlineData("", "Embedded")]
    [InlineData("noop", "NoOp")]
    [InlineData("tcp://127.0.0.1:7000", "Tcp")]
    [InlineData("tcp://[::1]:7000", "Tcp")]
    [InlineData("unix:/tmp/peer.sock", "Unix")]
    [InlineData("unix:///tmp/peer.sock", "Unix")]
    public void Reads_each_kind(string? text, string kind) => Assert.Equal(kind, TargetAddress.Parse(text).Kind.ToString());

    [Theory]
    [InlineData("tcp://host")]
    [InlineData("tcp://host:99999")]
    [InlineData("unix:")]
    [InlineData("udp://host:1")]
    public void Rejects_what_it_cannot_reach(string text) => Assert.Throws<FormatException>(() => TargetAddress.Parse(text));

    [Fact]
    public async Task Resolves_to_socket_endpoints()
    {
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 7000), await TargetAddress.Parse("tcp://[::1]:7000").ResolveAsync(default));
        var named = Assert.IsType<IPEndPoint>(await TargetAddress.Parse("tcp://localhost:7001").ResolveAsync(default));
        Assert.True(IPAddress.IsLoopback(named.Address));
        Assert.Equal(7001, named.Port);
        Assert.Equal("/tmp/peer.sock", (await TargetAddress.Parse("unix:///tmp/peer.sock").ResolveAsync(default) as UnixDomainSocketEndPoint)?.ToString());
    }
}
