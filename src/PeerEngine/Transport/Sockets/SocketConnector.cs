using System.Net;
using System.Net.Sockets;

namespace PeerEngine.Transport.Sockets;

/// <summary>Opens <see cref="SocketConnection"/>s to TCP endpoints and Unix socket paths.</summary>
internal sealed class SocketConnector(SocketTransportOptions options) : IConnectionConnector
{
    private readonly SocketPipeOptions _options = new(options);

    public async ValueTask<TransportConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Socket socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            var connection = new SocketConnection(socket, _options);
            connection.Start();
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
