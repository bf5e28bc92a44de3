using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Framing;
using PeerEngine.Tests.Buffers;
using PeerEngine.Tests.Support;
using PeerEngine.Transport;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Tests.Connections;

/// <summary>
/// A connection that ends on a failed read still gives its receive pipe's blocks back: the read that
/// throws does not complete the pipe's reader, and a pipe keeps its blocks until both ends are complete.
/// </summary>
public sealed class ReceivePipeReleaseTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public enum Ending
    {
        /// <summary>The peer resets while a receive holds an empty buffer.</summary>
        ResetWhileReceiving,

        /// <summary>The peer resets after sending part of a frame, which stays unread in the pipe.</summary>
        ResetAfterPartOfAFrame,

        /// <summary>This side aborts while a receive holds an empty buffer.</summary>
        AbortWhileReceiving,
    }

    [Theory]
    [InlineData(Ending.ResetWhileReceiving, ShutdownReason.ConnectionReset)]
    [InlineData(Ending.ResetAfterPartOfAFrame, ShutdownReason.ConnectionReset)]
    [InlineData(Ending.AbortWhileReceiving, ShutdownReason.LocalAbort)]
    public async Task A_connection_ended_by_a_failed_read_returns_every_block_of_its_pipes(Ending ending, ShutdownReason reason)
    {
        using var pool = new BlockMemoryPool();
        await using var harness = new ConnectionHarness();
        var transport = new ScriptedTransport(pool);
        PeerConnection connection = harness.Settings("server").Create(transport, ConnectionRole.Accepting);
        connection.Start();
        await transport.ReceivedAsync(FrameBytes.Written(w => FrameWriter.WriteHello(w, "peer")));
        await connection.Handshaken.WaitAsync(Patience);

        switch (ending)
        {
            case Ending.ResetAfterPartOfAFrame:
                // A request's header announcing 100 bytes, and 10 of them.
                await transport.ReceivedAsync(FrameBytes.Build(FrameKind.Request, 7, new byte[100])[..20]);
                transport.Reset();
                break;
            case Ending.ResetWhileReceiving:
                transport.HoldReceiveBuffer();
                transport.Reset();
                break;
            case Ending.AbortWhileReceiving:
                transport.HoldReceiveBuffer();
                connection.Abort();
                break;
        }

        await connection.Completion.WaitAsync(Patience);

        Assert.Equal(reason, connection.ShutdownReason);
        Assert.True(pool.Counters.Outstanding == 0, $"{pool.Counters}{Environment.NewLine}{string.Join(Environment.NewLine, pool.DescribeOutstanding())}");
        Assert.Equal(0, pool.Counters.DoubleReturns);
    }

    /// <summary>
    /// A transport the test drives by hand the way a socket's receive loop drives its pipe: bytes
    /// received are written and flushed; a receive in flight holds a buffer from the pipe; a reset or
    /// an abort completes the input with a <see cref="ConnectionResetException"/>. Both pipes draw
    /// from the test's own pool, so its counts are this connection's alone.
    /// </summary>
    private sealed class ScriptedTransport(BlockMemoryPool pool) : TransportConnection
    {
        private readonly Pipe _received = new(new PipeOptions(pool: pool, readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false));
        private readonly Pipe _toSend = new(new PipeOptions(pool: pool, useSynchronizationContext: false));
        private int _inputCompleted;

        public override PipeReader Input => _received.Reader;

        public override PipeWriter Output => _toSend.Writer;

        public override EndPoint? RemoteEndPoint => null;

        public override EndPoint? LocalEndPoint => null;

        public async Task ReceivedAsync(byte[] bytes) => await _received.Writer.WriteAsync(bytes);

        /// <summary>A receive posted and not completed: the pipe lent it a buffer, nothing written yet.</summary>
        public void HoldReceiveBuffer() => _received.Writer.GetMemory(2048);

        public void Reset() => CompleteInput(new ConnectionResetException("The connection was lost: ConnectionReset."));

        public override void Abort() => CompleteInput(new ConnectionResetException("The connection was aborted."));

        public override async ValueTask DisposeAsync()
        {
            // As a socket's send loop ends once the output is complete, and its receive loop once aborted.
            await _toSend.Reader.CompleteAsync();
            Abort();
        }

        private void CompleteInput(Exception error)
        {
            if (Interlocked.Exchange(ref _inputCompleted, 1) == 0)
            {
                _received.Writer.Complete(error);
            }
        }
    }
}

/// <summary>
/// The same over loopback sockets, where a receive always holds a buffer (no wait for data before
/// allocating one): the blocks are the process's pool's, so these run alone.
/// </summary>
[Collection(PoolAccountingGroup.Name)]
public sealed class ReceivePipeReleaseSocketTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_connection_its_peer_resets_returns_the_buffer_its_receive_held()
    {
        await using var harness = new ConnectionHarness(new PeerConnectionOptions { WaitForDataBeforeAllocatingBuffer = false });
        PeerListener listener = harness.Listen(Handlers.Echo);
        long before = await PoolQuiet.SettledBlocksAsync();

        RawPeer peer = await RawPeer.HandshakeAsync(listener.EndPoint);
        PeerConnection server = Assert.Single(listener.Connections);
        peer.Socket.LingerState = new LingerOption(enable: true, seconds: 0); // closing now sends a reset
        await peer.DisposeAsync();
        await server.Completion.WaitAsync(Patience);

        Assert.Equal(ShutdownReason.ConnectionReset, server.ShutdownReason);
        await PoolQuiet.BlocksBackAsync(before);
    }

    [Fact]
    public async Task A_connection_refused_at_the_limit_returns_the_buffer_its_receive_held()
    {
        await using var harness = new ConnectionHarness(new PeerConnectionOptions { WaitForDataBeforeAllocatingBuffer = false });
        PeerListener listener = harness.Listen(Handlers.Echo, listenerOptions: new PeerListenerOptions { MaxConnections = 1 });
        await using RawPeer admitted = await RawPeer.HandshakeAsync(listener.EndPoint);
        long before = await PoolQuiet.SettledBlocksAsync();

        try
        {
            await using RawPeer refused = await RawPeer.ConnectAsync(listener.EndPoint);
            await refused.ExpectClosedAsync();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Refused before the connect had returned here: refused all the same.
        }

        Assert.Equal(1, listener.RejectedConnections);
        await PoolQuiet.BlocksBackAsync(before);
    }

    [Fact]
    public async Task A_connection_whose_middleware_fails_returns_the_buffer_its_receive_held()
    {
        var options = new PeerConnectionOptions { WaitForDataBeforeAllocatingBuffer = false };
        using var settings = new ConnectionSettings("server", options, new ConnectionHandlers(Handlers.Echo, null), middleware: [new Refusing()]);
        await using PeerListener listener = PeerListener.Start(new SocketTransport(settings.Transport), new IPEndPoint(IPAddress.Loopback, 0), settings);
        long before = await PoolQuiet.SettledBlocksAsync();

        try
        {
            await using RawPeer refused = await RawPeer.ConnectAsync(listener.EndPoint);
            await refused.ExpectClosedAsync();
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // The discarded connection is aborted: the peer may see a reset rather than a close.
        }

        Assert.Empty(listener.Connections);
        await PoolQuiet.BlocksBackAsync(before);
    }

    private sealed class Refusing : IConnectionMiddleware
    {
        public ValueTask<TransportConnection> OnAcceptedAsync(TransportConnection connection, CancellationToken cancellationToken) =>
            ValueTask.FromException<TransportConnection>(new InvalidOperationException("refused by the test"));

        public ValueTask<TransportConnection> OnConnectedAsync(TransportConnection connection, EndPoint remote, CancellationToken cancellationToken) =>
            ValueTask.FromResult(connection);
    }
}
