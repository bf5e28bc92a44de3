using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using PeerEngine.Tests.Support;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Tests.Connections;

public sealed class SocketReceiveTests
{
    [Fact]
    public async Task A_burst_larger_than_a_block_is_read_in_one_receive()
    {
        // 64 pipelined requests of 64 B are 5 KiB: read as 4 KiB and then the rest, they became two
        // batches and two sends, and the peer answered with two smaller bursts from then on.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(listener.LocalEndPoint!);
        Socket accepted = await listener.AcceptAsync();
        byte[] burst = [.. Enumerable.Range(0, 5120).Select(i => (byte)i)];
        Assert.Equal(burst.Length, client.Send(burst));
        await Eventually.TrueAsync(() => accepted.Available == burst.Length, "the burst has arrived");

        await using var connection = new SocketConnection(accepted, new SocketPipeOptions(new SocketTransportOptions()));
        connection.Start();
        ReadResult result = await connection.Input.ReadAsync();

        Assert.Equal(burst.Length, result.Buffer.Length);
        Assert.True(result.Buffer.IsSingleSegment, "the burst was split across receives");
        Assert.Equal(burst, result.Buffer.ToArray());
        connection.Input.AdvanceTo(result.Buffer.End);
    }
}
