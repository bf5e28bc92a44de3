using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Tests.Support;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Tests.Connections;

/// <summary>
/// Work the protocol hands over while reading (the handlers of a receive) runs on the thread that
/// received it, once its next receive is armed, and never holds up the reading (issue 7).
/// </summary>
public sealed class ReceiveHandOverTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Work_handed_over_while_reading_runs_on_the_receiving_thread_once_it_is_free()
    {
        (Socket client, SocketConnection connection) = await ConnectedPairAsync();
        using Socket peer = client;
        await using SocketConnection _ = connection;
        using var work = new RecordingWork();
        Task<(int Thread, bool RanMeanwhile)> read = HandOverOnNextReadAsync(connection, work, holdReader: TimeSpan.FromSeconds(1));

        client.Send([1, 2, 3]);

        (int readerThread, bool ranMeanwhile) = await read.WaitAsync(Patience);
        Assert.False(ranMeanwhile, "queued to the pool, the work would have run on another thread while the reader held its own");
        Assert.Equal(readerThread, await work.Ran.Task.WaitAsync(Patience));
    }

    [Fact]
    public async Task Reading_goes_on_while_handed_over_work_blocks()
    {
        (Socket client, SocketConnection connection) = await ConnectedPairAsync();
        using Socket peer = client;
        await using SocketConnection _ = connection;
        using var release = new ManualResetEventSlim();
        using var blocking = new RecordingWork(release);
        Task<(int, bool)> firstRead = HandOverOnNextReadAsync(connection, blocking, holdReader: TimeSpan.Zero);
        client.Send([1]);
        await firstRead.WaitAsync(Patience);
        await blocking.Ran.Task.WaitAsync(Patience);

        try
        {
            // The thread that received the first byte is held by the work; the next byte must still
            // be read, by another thread.
            Task<byte[]> secondRead = ReadAllAsync(connection.Input);
            client.Send([2]);
            Assert.Equal([2], await secondRead.WaitAsync(Patience));
        }
        finally
        {
            release.Set();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_blocking_handler_does_not_stop_the_connection_from_answering_later_requests(bool unix)
    {
        using var firstStarted = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        RequestHandler handler = (request, cancellationToken) =>
        {
            if (request.Payload.Span[0] == 1)
            {
                firstStarted.Set();
                release.Wait(cancellationToken); // blocks its thread, as careless handlers do
            }

            return Handlers.Echo(request, cancellationToken);
        };
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(handler, unix: unix);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        ValueTask<PooledPayload> blocked = client.RequestAsync(new byte[] { 1 });
        Assert.True(firstStarted.Wait(Patience));
        try
        {
            using PooledPayload second = await client.RequestAsync(new byte[] { 2 }).AsTask().WaitAsync(Patience);
            Assert.Equal([2], second.ToArray());
        }
        finally
        {
            release.Set();
        }

        using PooledPayload first = await blocked;
        Assert.Equal([1], first.ToArray());
    }

    private static async Task<(Socket Client, SocketConnection Connection)> ConnectedPairAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(listener.LocalEndPoint!);
        Socket accepted = await listener.AcceptAsync();
        var connection = new SocketConnection(accepted, new SocketPipeOptions(new SocketTransportOptions()));
        connection.Start();
        return (client, connection);
    }

    /// <summary>
    /// Reads once and, in the continuation the receive loop's flush runs inline, hands the work over
    /// as the protocol does, then keeps the thread for <paramref name="holdReader"/> (as a protocol
    /// loop busy with a large read would); returns the thread that read and whether the work ran meanwhile.
    /// </summary>
    private static async Task<(int Thread, bool RanMeanwhile)> HandOverOnNextReadAsync(SocketConnection connection, RecordingWork work, TimeSpan holdReader)
    {
        ReadResult result = await connection.Input.ReadAsync().ConfigureAwait(false);
        connection.Input.AdvanceTo(result.Buffer.End);
        connection.Schedule(work);
        bool ranMeanwhile = work.Started.Wait(holdReader);
        return (Environment.CurrentManagedThreadId, ranMeanwhile);
    }

    private static async Task<byte[]> ReadAllAsync(PipeReader input)
    {
        ReadResult result = await input.ReadAsync().ConfigureAwait(false);
        byte[] bytes = result.Buffer.ToArray();
        input.AdvanceTo(result.Buffer.End);
        return bytes;
    }

    private sealed class RecordingWork(ManualResetEventSlim? block = null) : IThreadPoolWorkItem, IDisposable
    {
        public TaskCompletionSource<int> Ran { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ManualResetEventSlim Started { get; } = new();

        public void Execute()
        {
            Started.Set();
            Ran.SetResult(Environment.CurrentManagedThreadId);
            block?.Wait(Patience);
        }

        public void Dispose() => Started.Dispose();
    }
}
