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

    [Fact]
    public async Task A_burst_many_times_the_first_receive_arrives_whole_and_in_order_then_the_fin()
    {
        // The first receive of a burst takes at most 16 KiB; the rest follows in receives sized by
        // what has arrived, and the peer's FIN after it ends the input.
        (Socket client, SocketConnection connection) = await ConnectedAsync();
        using (client)
        await using (connection)
        {
            byte[] burst = new byte[300_000];
            new Random(3).NextBytes(burst);
            Task sending = Task.Run(() =>
            {
                client.Send(burst);
                client.Shutdown(SocketShutdown.Send);
            });

            byte[] received = await ReadToEndAsync(connection.Input).WaitAsync(TimeSpan.FromSeconds(10));
            await sending;

            Assert.Equal(burst, received);
        }
    }

    [Fact]
    public async Task Bytes_that_arrive_while_the_connection_waits_are_received()
    {
        (Socket client, SocketConnection connection) = await ConnectedAsync();
        using (client)
        await using (connection)
        {
            for (int i = 0; i < 20; i++)
            {
                // Each arrives when the receive loop has found nothing and is waiting for data.
                byte[] message = [.. Enumerable.Repeat((byte)i, 10 + i)];
                Assert.Equal(message.Length, client.Send(message));
                ReadResult result = await connection.Input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                while (result.Buffer.Length < message.Length)
                {
                    connection.Input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                    result = await connection.Input.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                }

                Assert.Equal(message, result.Buffer.ToArray());
                connection.Input.AdvanceTo(result.Buffer.End);
            }
        }
    }

    [Fact]
    public async Task An_abort_resets_the_connection_even_with_no_receive_pending()
    {
        // Not started: no receive is pending when it is aborted, as when the receive loop is
        // running handlers. The peer must see a reset, not the FIN of a graceful close.
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!);
        Socket accepted = await listener.AcceptAsync();
        await using var connection = new SocketConnection(accepted, new SocketPipeOptions(new TransportSettings()));

        connection.Abort();

        var reset = await Assert.ThrowsAsync<SocketException>(async () => await client.ReceiveAsync(new byte[16].AsMemory(), SocketFlags.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(SocketError.ConnectionReset, reset.SocketErrorCode);
    }

    private static async Task<(Socket Client, SocketConnection Connection)> ConnectedAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(listener.LocalEndPoint!);
        Socket accepted = await listener.AcceptAsync();
        var connection = new SocketConnection(accepted, new SocketPipeOptions(new TransportSettings()));
        connection.Start();
        return (client, connection);
    }

    private static async Task<byte[]> ReadToEndAsync(PipeReader input)
    {
        var all = new List<byte>();
        while (true)
        {
            ReadResult result = await input.ReadAsync();
            all.AddRange(result.Buffer.ToArray());
            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return [.. all];
            }
        }
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
