using System.Buffers;
using System.Net;
using System.Net.Sockets;
using PeerEngine.Tests.Support;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Tests.Connections;

public sealed class SocketSenderTests
{
    [Fact]
    public async Task A_sender_whose_socket_was_gone_sends_a_gathered_batch_next()
    {
        // Senders are pooled across connections: one that met a disposed socket must come back clean.
        using var sender = new SocketSender();
        var gone = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        gone.Dispose();
        Assert.True(sender.TryPrepare(new ReadOnlySequence<byte>([1, 2, 3])));
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await sender.SendAsync(gone));

        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        using Socket server = await listener.AcceptAsync();
        byte[] bytes = [.. Enumerable.Range(0, 300).Select(i => (byte)i)];

        Assert.True(sender.TryPrepare(SegmentedSequence.Split(bytes, 1, 100, 299)));
        Assert.Equal(bytes.Length, await sender.SendAsync(client));

        var received = new byte[bytes.Length];
        int read = 0;
        while (read < received.Length)
        {
            read += await server.ReceiveAsync(received.AsMemory(read), SocketFlags.None);
        }

        Assert.Equal(bytes, received);
    }
}
