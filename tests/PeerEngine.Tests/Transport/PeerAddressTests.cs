using System.Net;
using System.Net.Sockets;

namespace PeerEngine.Tests.Transport;

/// <summary>Addresses as people write them (host-cli.md, "Addresses") and as records and endpoints give them.</summary>
public sealed class PeerAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:5000", "127.0.0.1", 5000, typeof(IPEndPoint))]
    [InlineData("[::1]:5000", "::1", 5000, typeof(IPEndPoint))]
    [InlineData("peer-7.example.internal:80", "peer-7.example.internal", 80, typeof(DnsEndPoint))]
    [InlineData("localhost:65535", "localhost", 65535, typeof(DnsEndPoint))]
    public void Tcp_addresses_parse_to_their_host_port_and_endpoint_and_print_back(string text, string host, int port, Type endPointType)
    {
        PeerAddress address = PeerAddress.Parse(text);

        Assert.Equal((host, port, (string?)null), (address.Host, address.Port, address.UnixSocketPath));
        Assert.IsType(endPointType, address.EndPoint);
        Assert.Equal(text, address.ToString());
        Assert.Equal(address, PeerAddress.Parse(address.ToString()));
    }

    [Fact]
    public void A_unix_address_is_its_path_after_the_scheme()
    {
        PeerAddress address = PeerAddress.Parse("unix:/run/peer engine/a.sock");

        Assert.Equal("/run/peer engine/a.sock", address.UnixSocketPath);
        Assert.Null(address.Host);
        Assert.Equal("/run/peer engine/a.sock", Assert.IsType<UnixDomainSocketEndPoint>(address.EndPoint).ToString());
        Assert.Equal("unix:/run/peer engine/a.sock", address.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("127.0.0.1", "no :PORT")]
    [InlineData("127.0.0.1:0", "out of range")]
    [InlineData("127.0.0.1:65536", "out of range")]
    [InlineData("127.0.0.1:-1", "not a number")]
    [InlineData("127.0.0.1:http", "not a number")]
    [InlineData("::1:5000", "brackets")]
    [InlineData("[127.0.0.1]:5000", "not an IPv6 address")]
    [InlineData("bad host:5000", "neither an IP address nor a DNS name")]
    [InlineData(":5000", "neither an IP address nor a DNS name")]
    [InlineData("unix:", "path is empty")]
    public void A_malformed_address_is_refused_saying_why(string text, string why)
    {
        FormatException error = Assert.Throws<FormatException>(() => PeerAddress.Parse(text));

        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.False(PeerAddress.TryParse(text, out _));
    }

    [Fact]
    public void Hosts_compare_without_case_and_paths_with_it()
    {
        Assert.Equal(PeerAddress.Tcp("Peer.Example", 1), PeerAddress.Tcp("peer.example", 1));
        Assert.Equal(PeerAddress.Tcp("Peer.Example", 1).GetHashCode(), PeerAddress.Tcp("peer.example", 1).GetHashCode());
        Assert.NotEqual(PeerAddress.Tcp("peer.example", 1), PeerAddress.Tcp("peer.example", 2));
        Assert.NotEqual(PeerAddress.Unix("/tmp/A.sock"), PeerAddress.Unix("/tmp/a.sock"));
    }

    [Fact]
    public void Endpoints_of_each_kind_become_addresses_and_others_are_refused()
    {
        Assert.Equal("10.0.0.1:9", PeerAddress.FromEndPoint(new IPEndPoint(IPAddress.Parse("10.0.0.1"), 9)).ToString());
        Assert.Equal("[::1]:9", PeerAddress.FromEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, 9)).ToString());
        Assert.Equal("peer:9", PeerAddress.FromEndPoint(new DnsEndPoint("peer", 9)).ToString());
        Assert.Equal("unix:/tmp/x.sock", PeerAddress.FromEndPoint(new UnixDomainSocketEndPoint("/tmp/x.sock")).ToString());
        Assert.Throws<ArgumentException>(() => PeerAddress.FromEndPoint(new IPEndPoint(IPAddress.Loopback, 0)));
    }

    [Fact]
    public void A_record_is_dialled_on_its_unix_socket_when_preferred_or_only_published()
    {
        var record = new PeerRecord("peer", "127.0.0.1", 5000, PeerTransport.Tcp, "/tmp/p.sock", 1, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

        Assert.Equal("unix:/tmp/p.sock", PeerAddress.FromRecord(record)!.ToString());
        Assert.Equal("127.0.0.1:5000", PeerAddress.FromRecord(record, preferUnixSockets: false)!.ToString());
        Assert.Equal("unix:/tmp/p.sock", PeerAddress.FromRecord(record with { Transport = PeerTransport.UnixSocket }, preferUnixSockets: false)!.ToString());
        Assert.Null(PeerAddress.FromRecord(record with { UnixPath = null, Port = 0 }));
        Assert.Null(PeerAddress.FromRecord(record with { Id = "not valid!" }));
    }
}
