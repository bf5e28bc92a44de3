using System.Globalization;
using System.Net;
using PeerEngine.Framing;
using StackExchange.Redis;

namespace PeerEngine;

/// <summary>What may be published to a store other machines read, and how a failure is worded.</summary>
public sealed partial class RedisPeerDiscovery
{
    private PeerAnnouncement Check(PeerAnnouncement peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        NodeIdSyntax.Validate(peer.Id, nameof(peer));
        string host = peer.Host.Length > 2 && peer.Host[0] == '[' && peer.Host[^1] == ']' ? peer.Host[1..^1] : peer.Host;
        switch (peer.Transport)
        {
            case PeerTransport.Tcp:
                if (host.Length == 0 || peer.Port is < 1 or > 65535)
                {
                    throw new ArgumentException($"A TCP peer needs a host and a port between 1 and 65535 (got '{peer.Host}' and {peer.Port}).", nameof(peer));
                }

                if (IPAddress.TryParse(host, out IPAddress? address))
                {
                    if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
                    {
                        throw new ArgumentException($"Peer '{peer.Id}' would be published to Redis at {Server} as {host}, a wildcard address no other machine can dial; set the address to advertise (AdvertiseHost, --advertise).", nameof(peer));
                    }

                    if (IPAddress.IsLoopback(address) && !_serverIsLoopback)
                    {
                        throw new ArgumentException($"Peer '{peer.Id}' would be published to Redis at {Server}, shared with other machines, as {host}, a loopback address they cannot dial; set the address to advertise (AdvertiseHost, --advertise).", nameof(peer));
                    }
                }
                else if (Uri.CheckHostName(host) != UriHostNameType.Dns)
                {
                    throw new ArgumentException($"Host '{peer.Host}' is neither an IP address nor a DNS name.", nameof(peer));
                }
                else if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) && !_serverIsLoopback)
                {
                    throw new ArgumentException($"Peer '{peer.Id}' would be published to Redis at {Server}, shared with other machines, as localhost, which they cannot dial; set the address to advertise (AdvertiseHost, --advertise).", nameof(peer));
                }

                // A Unix socket path means nothing on another machine, where a peer would dial it first.
                return peer with { Host = host, UnixPath = _serverIsLoopback ? peer.UnixPath : null };
            case PeerTransport.UnixSocket:
                if (!_serverIsLoopback)
                {
                    throw new ArgumentException($"Peer '{peer.Id}' listens on a Unix socket only, which other machines sharing Redis at {Server} cannot reach.", nameof(peer));
                }

                if (string.IsNullOrEmpty(peer.UnixPath) || host.Length != 0 || peer.Port != 0)
                {
                    throw new ArgumentException("A Unix-socket peer needs a Unix path, and no host or port.", nameof(peer));
                }

                return peer;
            default:
                throw new ArgumentException($"Unknown transport {peer.Transport}.", nameof(peer));
        }
    }

    private static string Reason(Exception e) => e switch
    {
        RedisConnectionException => "no connection",
        RedisTimeoutException or TimeoutException => "timed out",
        _ => string.Join(' ', e.Message.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)),
    };

    private static string FormatEndPoint(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => string.Create(CultureInfo.InvariantCulture, $"{dns.Host}:{dns.Port}"),
        IPEndPoint ip => ip.ToString(),
        _ => endPoint.ToString() ?? "",
    };

    private static bool IsLoopback(EndPoint endPoint) => endPoint switch
    {
        DnsEndPoint dns => dns.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(dns.Host, out IPAddress? a) && IPAddress.IsLoopback(a)),
        IPEndPoint ip => IPAddress.IsLoopback(ip.Address),
        _ => false,
    };
}
