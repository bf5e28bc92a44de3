using System.Globalization;
using System.Net;
using PeerEngine.Registry;

namespace PeerEngine.Host;

/// <summary>How the host writes addresses: HOST:PORT, an IPv6 host in brackets.</summary>
internal static class Endpoints
{
    public static string Format(IPEndPoint endPoint) => Format(endPoint.Address.ToString(), endPoint.Port);

    public static string Format(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal)
            ? string.Create(CultureInfo.InvariantCulture, $"[{host}]:{port}")
            : string.Create(CultureInfo.InvariantCulture, $"{host}:{port}");

    public static string Format(PeerRecord peer) =>
        peer.Host.Length > 0 ? Format(peer.Host, peer.Port) : $"unix:{peer.UnixPath}";
}
