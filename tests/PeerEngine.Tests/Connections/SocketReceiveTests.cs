using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using PeerEngine.Transport;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Tests.Connections;

public sealed class SocketReceiveTests
{
    [Fact]
    public async Task A_burst_larger_than_a_block_reaches_the_protocol_in_one_read()
    {
        // 64 pipelined requests of 64 B are 5 KiB: read as 4 KiB and then the rest, they became two
        // batches and two sends, and the peer answered with two smaller bursts from then on.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(listener.LocalEndPoint!);
        Socket accepted = await listener.AcceptAsync();
        await using var connection = new SocketConnection(accepted, new SocketPipeOptions(new TransportSettings()));
        connection.Start();

        // Waiting before the burst arrives: the protocol sees what the first flush hands over.
        Task<long> firstRead = LengthOfNextReadAsync(connection.Input);
        byte[] burst = [.. Enumerable.Range(0, 5120).Select(i => (byte)i)];
        Assert.Equal(burst.Length, client.Send(burst));

        Assert.Equal(burst.Length, await firstRead);
        ReadResult result = await connection.Input.ReadAsync();
        Assert.Equal(burst, result.Buffer.ToArray());
        connection.Input.AdvanceTo(result.Buffer.End);
    }

    /// <summary>
    /// The length of the next read, taken in its continuation, which the input pipe runs inline on the
    /// flush that completes it (an await would resume later, after any further flush).
    /// </summary>
    private static async Task<long> LengthOfNextReadAsync(PipeReader input)
    {
        ReadResult result = await input.ReadAsync().ConfigureAwait(false);
        long length = result.Buffer.Length;
        input.AdvanceTo(result.Buffer.Start); // nothing consumed: the test reads it all again
        return length;
    }
}
