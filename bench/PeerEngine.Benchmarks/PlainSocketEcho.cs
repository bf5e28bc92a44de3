using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using PeerEngine.Framing;

namespace PeerEngine.Benchmarks;

/// <summary>
/// The baseline: the same protocol (HELLO, then REQUEST → RESPONSE echo) over a plain
/// <see cref="Socket"/>, written the straightforward way: a buffer per connection, frames parsed out of
/// whatever each receive returned, one send per response.
/// </summary>
internal sealed class PlainSocketEcho : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public PlainSocketEcho()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(512);
        EndPoint = _listener.LocalEndPoint!;
        _serving = AcceptAsync();
    }

    public EndPoint EndPoint { get; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _serving.ContinueWith(static _ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket connection = await _listener.AcceptAsync(_stop.Token);
            connection.NoDelay = true;
            _ = ServeAsync(connection);
        }
    }

    private static async Task ServeAsync(Socket connection)
    {
        using (connection)
        {
            byte[] buffer = new byte[256 * 1024];
            int filled = 0;
            bool handshaken = false;
            while (true)
            {
                int read = await connection.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None);
                if (read == 0)
                {
                    return;
                }

                filled += read;
                int offset = 0;
                while (filled - offset >= WireProtocol.HeaderSize)
                {
                    int length = (int)BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(offset));
                    int frame = WireProtocol.HeaderSize + length;
                    if (filled - offset < frame)
                    {
                        break;
                    }

                    if (!handshaken)
                    {
                        handshaken = true;
                        await connection.SendAsync(PlainSocketClient.Hello("plain"), SocketFlags.None);
                    }
                    else
                    {
                        buffer[offset + 4] = (byte)FrameKind.Response;
                        await connection.SendAsync(buffer.AsMemory(offset, frame), SocketFlags.None);
                    }

                    offset += frame;
                }

                buffer.AsSpan(offset, filled - offset).CopyTo(buffer);
                filled -= offset;
            }
        }
    }
}
