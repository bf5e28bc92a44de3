using System.Net;
using System.Net.Sockets;

namespace PeerEngine.Transport.Sockets;

/// <summary>TCP endpoints and Unix socket paths: listens with <see cref="SocketListener"/>, connects sockets.</summary>
internal sealed class SocketTransport(TransportSettings settings) : IConnectionTransport
{
    /// <summary>Makes the socket transport: what a node uses unless it is given another.</summary>
    public static TransportFactory Factory { get; } = static settings => new SocketTransport(settings);

    // Built once for every connection of the transport: 10,000 idle connections should not carry
    // 20,000 identical copies of the pipe options (the idle-memory budget).
    private readonly SocketPipeOptions _options = new(settings);

    public IConnectionListener Listen(EndPoint endPoint, int backlog) =>
        SocketListener.Bind(endPoint, backlog, _options);

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
