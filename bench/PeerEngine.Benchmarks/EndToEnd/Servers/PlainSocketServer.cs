using System.Net;
using System.Net.Sockets;
using PeerEngine.Framing;

namespace PeerEngine.Benchmarks.EndToEnd.Servers;

/// <summary>
/// The plain-socket baseline, written the straightforward way: one async loop per connection, one
/// buffer per connection, frames parsed out of whatever each receive returned, one send per response.
/// </summary>
internal sealed class PlainSocketServer : IEchoServer
{
    // Room for a few 64 KiB frames per receive; a frame larger than this closes the connection.
    private const int BufferSize = 256 * 1024;

    private static readonly byte[] HelloFrame = EchoWire.Hello("plain-server");
    private readonly Socket _listener;
    private readonly Task _accepting;

    public PlainSocketServer(EndPoint endPoint)
    {
        _listener = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(endPoint);
        _listener.Listen(512);
        EndPoint = _listener.LocalEndPoint!;
        _accepting = AcceptAsync();
    }

    public EndPoint EndPoint { get; }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await _accepting.ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket connection = await _listener.AcceptAsync().ConfigureAwait(false);
            if (connection.AddressFamily == AddressFamily.InterNetwork)
            {
                connection.NoDelay = true;
            }

            _ = ServeAsync(connection);
        }
    }

    private static async Task ServeAsync(Socket connection)
    {
        using (connection)
        {
            byte[] buffer = new byte[BufferSize];
            int filled = 0;
            bool handshaken = false;
            try
            {
                while (true)
                {
                    int read = await connection.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None).ConfigureAwait(false);
                    if (read == 0)
                    {
                        return;
                    }

                    filled += read;
                    int offset = 0;
                    while (filled - offset >= EchoWire.HeaderSize)
                    {
                        int frame = EchoWire.HeaderSize + EchoWire.PayloadLength(buffer.AsSpan(offset));
                        if (frame > BufferSize)
                        {
                            return;
                        }

                        if (filled - offset < frame)
                        {
                            break;
                        }

                        if (!handshaken)
                        {
                            handshaken = true;
                            await connection.SendAsync(HelloFrame, SocketFlags.None).ConfigureAwait(false);
                        }
                        else
                        {
                            buffer[offset + EchoWire.KindOffset] = (byte)FrameKind.Response;
                            await connection.SendAsync(buffer.AsMemory(offset, frame), SocketFlags.None).ConfigureAwait(false);
                        }

                        offset += frame;
                    }

                    buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
                    filled -= offset;
                }
            }
            catch (SocketException)
            {
                // The client went away: nothing to answer.
            }
        }
    }
}
