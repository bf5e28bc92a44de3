using System.Net;
using System.Net.Sockets;

namespace PeerEngine.Tests.Support;

internal static class Ports
{
    /// <summary>A loopback port nobody listens on (it was free a moment ago): a crashed node's address.</summary>
    public static int ClosedLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
