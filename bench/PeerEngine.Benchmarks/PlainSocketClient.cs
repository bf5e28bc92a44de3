using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using PeerEngine.Benchmarks.EndToEnd;
using PeerEngine.Framing;

namespace PeerEngine.Benchmarks;

/// <summary>The baseline's client: writes REQUEST frames, reads RESPONSE frames, straight on the socket.</summary>
internal sealed class PlainSocketClient : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
    private readonly byte[] _receive = new byte[256 * 1024];
    private readonly byte[] _send;
    private int _filled;

    private PlainSocketClient(int payloadLength, int depth)
    {
        // `depth` REQUEST frames back to back, written with one send: what a client that batches does.
        _send = new byte[(WireProtocol.HeaderSize + payloadLength) * depth];
        var writer = new ArrayBufferWriter<byte>(_send.Length);
        for (int i = 1; i <= depth; i++)
        {
            FrameWriter.Write(writer, FrameKind.Request, (uint)i, new byte[payloadLength]);
        }

        writer.WrittenSpan.CopyTo(_send);
    }

    public static async Task<PlainSocketClient> ConnectAsync(EndPoint endPoint, int payloadLength, int depth)
    {
        var client = new PlainSocketClient(payloadLength, depth);
        await client._socket.ConnectAsync(endPoint);
        await client._socket.SendAsync(EchoWire.Hello("plain-client"), SocketFlags.None);
        await client.ReceiveFramesAsync(1);
        return client;
    }

    /// <summary>Sends the batch of requests and waits for as many responses.</summary>
    public async ValueTask ExchangeAsync(int depth)
    {
        await _socket.SendAsync(_send, SocketFlags.None);
        await ReceiveFramesAsync(depth);
    }

    private async ValueTask ReceiveFramesAsync(int count)
    {
        int offset = 0;
        while (count > 0)
        {
            while (_filled - offset >= WireProtocol.HeaderSize)
            {
                int frame = WireProtocol.HeaderSize + (int)BinaryPrimitives.ReadUInt32BigEndian(_receive.AsSpan(offset));
                if (_filled - offset < frame)
                {
                    break;
                }

                offset += frame;
                count--;
                if (count == 0)
                {
                    break;
                }
            }

            if (count == 0)
            {
                break;
            }

            _receive.AsSpan(offset, _filled - offset).CopyTo(_receive);
            _filled -= offset;
            offset = 0;
            int read = await _socket.ReceiveAsync(_receive.AsMemory(_filled), SocketFlags.None);
            if (read == 0)
            {
                throw new EndOfStreamException("The plain socket server closed the connection.");
            }

            _filled += read;
        }

        _receive.AsSpan(offset, _filled - offset).CopyTo(_receive);
        _filled -= offset;
    }

    public void Dispose() => _socket.Dispose();
}
