using System.IO.Pipelines;
using System.Net;
using PeerEngine.ConnectionPool;
using PeerEngine.Connections;
using PeerEngine.Diagnostics;
using PeerEngine.Tests.Support;
using PeerEngine.Transport;

namespace PeerEngine.Tests.Connections;

/// <summary>What a connection and a pool leave behind when sending or connecting fails.</summary>
public sealed class ConnectionFailurePathTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_connection_that_never_pinged_makes_no_ping_table_when_it_closes()
    {
        await using var harness = new ConnectionHarness();
        (PeerConnection client, PeerConnection server) = await harness.InMemoryAsync(Handlers.Echo);

        await client.CloseAsync();
        await server.Completion.WaitAsync(Patience);

        Assert.False(client.HasPingTable);
        Assert.False(server.HasPingTable);
        await Assert.ThrowsAsync<ConnectionLostException>(async () => await client.PingAsync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Requests_written_after_the_send_loop_ended_fail_at_once_and_leave_the_table(bool sendFailed)
    {
        await using var harness = new ConnectionHarness();
        (InMemoryConnection connecting, InMemoryConnection accepting) = InMemoryConnection.CreatePair();
        var sending = new ClosableSendingSide(connecting);
        PeerConnection client = harness.Settings("client").Create(sending, ConnectionRole.Connecting);
        PeerConnection server = harness.Settings("server", Handlers.Echo).Create(accepting, ConnectionRole.Accepting);
        server.Start();
        client.Start();
        await client.Handshaken.WaitAsync(Patience);

        // The send loop ends before the receive side has noticed anything: it finished, or a send
        // failed (the socket transport then completes its side with the transport's own error, which
        // must not reach the caller: the request fails as the connection lost, like any other).
        await sending.CloseSendingSideAsync(sendFailed ? new ConnectionResetException("The connection was lost: ConnectionReset.") : null);

        for (int i = 0; i < 2; i++)
        {
            await Assert.ThrowsAsync<ConnectionLostException>(() => client.RequestAsync("lost"u8.ToArray()).AsTask().WaitAsync(Patience));
            Assert.Equal(0, client.OutgoingRequests);
        }

        await client.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task A_connect_in_flight_when_its_pool_closes_is_closed_not_kept()
    {
        await using var harness = new ConnectionHarness();
        var connector = new GatedConnector(harness.Settings("peer", Handlers.Echo));
        var pool = new PeerConnectionPool("peer", new DnsEndPoint("peer", 1), new PeerConnector(connector, harness.Settings("client")), new ConnectionPoolOptions(), TimeProvider.System, new PeerEngineMetrics());

        Task<PeerConnection> getting = pool.GetAsync(CancellationToken.None).AsTask();
        await connector.Called.WaitAsync(Patience);
        Task closing = pool.CloseAsync(TimeSpan.FromSeconds(1));
        connector.Open();

        await Assert.ThrowsAsync<PeerUnavailableException>(() => getting.WaitAsync(Patience));
        await closing.WaitAsync(Patience);
        Assert.Equal(0, pool.Count);
        await connector.Server!.Completion.WaitAsync(Patience);
    }

    /// <summary>A connector whose connects wait until the test opens the gate; the peer answers in memory.</summary>
    private sealed class GatedConnector(ConnectionSettings serverSettings) : IConnectionConnector
    {
        private readonly TaskCompletionSource _called = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Called => _called.Task;

        public PeerConnection? Server { get; private set; }

        public void Open() => _gate.TrySetResult();

        public async ValueTask<TransportConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
        {
            _called.TrySetResult();
            await _gate.Task.WaitAsync(cancellationToken);
            (InMemoryConnection connecting, InMemoryConnection accepting) = InMemoryConnection.CreatePair();
            Server = serverSettings.Create(accepting, ConnectionRole.Accepting);
            Server.Start();
            return connecting;
        }
    }

    /// <summary>
    /// A transport whose sending side can be ended on its own, as a socket's does when a send fails
    /// while the receive side has not yet seen anything wrong.
    /// </summary>
    private sealed class ClosableSendingSide : TransportConnection
    {
        private readonly TransportConnection _inner;
        private readonly Pipe _output = new(new PipeOptions(useSynchronizationContext: false));
        private readonly Task _pumping;
        private Exception? _error;

        public ClosableSendingSide(TransportConnection inner)
        {
            _inner = inner;
            _pumping = PumpAsync();
        }

        public override PipeReader Input => _inner.Input;

        public override PipeWriter Output => _output.Writer;

        public override EndPoint? RemoteEndPoint => _inner.RemoteEndPoint;

        public override EndPoint? LocalEndPoint => _inner.LocalEndPoint;

        public async Task CloseSendingSideAsync(Exception? error = null)
        {
            _error = error;
            _output.Reader.CancelPendingRead();
            await _pumping;
        }

        public override void Abort() => _inner.Abort();

        public override async ValueTask DisposeAsync()
        {
            _output.Reader.CancelPendingRead();
            await _pumping;
            await _inner.DisposeAsync();
        }

        private async Task PumpAsync()
        {
            while (true)
            {
                ReadResult result = await _output.Reader.ReadAsync();
                if (result.IsCanceled)
                {
                    await _output.Reader.CompleteAsync(_error);
                    return;
                }

                foreach (ReadOnlyMemory<byte> block in result.Buffer)
                {
                    await _inner.Output.WriteAsync(block);
                }

                _output.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    await _output.Reader.CompleteAsync();
                    await _inner.Output.CompleteAsync();
                    return;
                }
            }
        }
    }
}
