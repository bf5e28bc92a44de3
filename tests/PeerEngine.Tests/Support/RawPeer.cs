using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using PeerEngine.Framing;

namespace PeerEngine.Tests.Support;

/// <summary>
/// A plain socket speaking raw bytes, trusting nothing of the engine: it sends exactly the bytes a
/// test gives and reads frames by hand, to check what a node puts on the wire.
/// </summary>
internal sealed class RawPeer : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;

    private RawPeer(Socket socket) => _socket = socket;

    public static async Task<RawPeer> ConnectAsync(EndPoint endPoint)
    {
        Socket socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return new RawPeer(socket);
    }

    /// <summary>Connects and completes the handshake as node <paramref name="nodeId"/>.</summary>
    public static async Task<RawPeer> HandshakeAsync(EndPoint endPoint, string nodeId = "raw", TimeSpan? wait = null)
    {
        RawPeer peer = await ConnectAsync(endPoint);
        await peer.SendAsync(FrameBytes.Written(w => FrameWriter.WriteHello(w, nodeId)));
        (FrameHeader header, _) = await peer.ReadFrameAsync(wait);
        Assert.Equal(FrameKind.Hello, header.Kind);
        return peer;
    }

    /// <summary>A raw peer over a socket a test accepted itself (the raw side of a dial).</summary>
    public static RawPeer Over(Socket accepted) => new(accepted);

    public Socket Socket => _socket;

    public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes, SocketFlags.None);

    /// <summary>Reads one whole frame, or fails the test after <paramref name="wait"/>.</summary>
    public async Task<(FrameHeader Header, byte[] Payload)> ReadFrameAsync(TimeSpan? wait = null)
    {
        using var timeout = new CancellationTokenSource(wait ?? DefaultWait);
        byte[] header = await ReadExactlyAsync(WireProtocol.HeaderSize, timeout.Token);
        FrameHeader parsed = FrameHeader.Read(header);
        byte[] payload = await ReadExactlyAsync((int)parsed.PayloadLength, timeout.Token);
        return (parsed, payload);
    }

    /// <summary>Reads one frame and checks it is a connection ERROR with <paramref name="code"/>.</summary>
    public async Task ExpectConnectionErrorAsync(ErrorCode code)
    {
        (FrameHeader header, byte[] payload) = await ReadFrameAsync();
        Assert.Equal(FrameKind.Error, header.Kind);
        Assert.Equal(0u, header.CorrelationId);
        Assert.Equal((ushort)code, BinaryPrimitives.ReadUInt16BigEndian(payload));
    }

    /// <summary>Waits until the node closes the connection: end of stream (or a reset) and nothing else before it.</summary>
    public async Task ExpectClosedAsync(TimeSpan? wait = null)
    {
        using var timeout = new CancellationTokenSource(wait ?? DefaultWait);
        var buffer = new byte[256];
        try
        {
            int read = await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            Assert.True(read == 0, $"expected the connection to close, received {read} more bytes");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed abruptly: closed all the same.
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var bytes = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await _socket.ReceiveAsync(bytes.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0)
            {
                throw new EndOfStreamException($"connection closed after {read} of {count} bytes");
            }

            read += n;
        }

        return bytes;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
