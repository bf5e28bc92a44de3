using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using PeerEngine.Framing;
using PeerEngine.Registry;

namespace PeerEngine.Node.Internal;

/// <summary>
/// Where a published peer is dialled: the one rule from a <see cref="PeerRecord"/> to an
/// <see cref="EndPoint"/>. Records come from any <see cref="IPeerDiscovery"/>, so each is checked
/// here, and one that cannot be dialled says why instead of throwing.
/// </summary>
internal static class PeerAddresses
{
    /// <summary>
    /// The endpoint of <paramref name="peer"/>: its Unix socket when it publishes only that, or when
    /// <paramref name="preferUnixSockets"/>; otherwise its host and port. A host that is not an IP
    /// address is a DNS name, resolved when dialled.
    /// </summary>
    public static bool TryGetEndPoint(in PeerRecord peer, bool preferUnixSockets, [NotNullWhen(true)] out EndPoint? endPoint, [NotNullWhen(false)] out string? problem)
    {
        endPoint = null;
        if (peer.Id is null || !NodeIdSyntax.IsValid(peer.Id.AsSpan()))
        {
            problem = $"its id '{peer.Id}' is not a valid node id";
            return false;
        }

        if (!string.IsNullOrEmpty(peer.UnixPath) && (preferUnixSockets || peer.Transport == PeerTransport.UnixSocket))
        {
            endPoint = new UnixDomainSocketEndPoint(peer.UnixPath);
            problem = null;
            return true;
        }

        if (peer.Port is < IPEndPoint.MinPort + 1 or > IPEndPoint.MaxPort)
        {
            problem = $"its port {peer.Port} is out of range";
            return false;
        }

        if (IPAddress.TryParse(peer.Host, out IPAddress? address))
        {
            endPoint = new IPEndPoint(address, peer.Port);
        }
        else if (!string.IsNullOrEmpty(peer.Host) && Uri.CheckHostName(peer.Host) == UriHostNameType.Dns)
        {
            endPoint = new DnsEndPoint(peer.Host, peer.Port);
        }
        else
        {
            problem = $"its host '{peer.Host}' is neither an IP address nor a DNS name";
            return false;
        }

        problem = null;
        return true;
    }
}
