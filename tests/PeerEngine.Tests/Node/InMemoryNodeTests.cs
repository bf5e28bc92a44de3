using System.IO.Pipelines;
using System.Net;
using System.Text;
using PeerEngine.Buffers;
using PeerEngine.Tests.Support;
using PeerEngine.Transport;

namespace PeerEngine.Tests.Node;

/// <summary>Whole nodes on the in-memory transport: discovery, pools and addresses, no socket.</summary>
public sealed class InMemoryNodeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Nodes_on_the_in_memory_transport_find_each_other_and_talk_by_id()
    {
        var network = new InMemoryNetwork();
        await using var cluster = new NodeCluster();
        PeerNode a = await cluster.StartAsync("mem-a", network: network);
        PeerNode b = await cluster.StartAsync("mem-b", network: network);
        await NodeCluster.SeeEachOtherAsync(a, b);

        Assert.Equal("mem-b:hi", await AskAsync(a, "mem-b", "hi"));
        Assert.Equal("mem-a:ho", await AskAsync(b, "mem-a", "ho"));

        // Both conversations went over the in-memory network: one connection each way.
        Assert.Equal(2, network.ConnectionsMade);
    }

    [Fact]
    public async Task A_client_only_node_dials_an_address_and_reuses_its_connection()
    {
        var network = new InMemoryNetwork();
        await using var cluster = new NodeCluster();
        PeerNode server = await cluster.StartAsync("mem-server", network: network);
        PeerNode client = await cluster.StartAsync("mem-client", options => options.Listen = false, network: network);
        PeerAddress address = PeerAddress.Tcp("127.0.0.1", server.TcpEndPoint!.Port);

        for (int i = 0; i < 3; i++)
        {
            using PooledPayload answer = await client.RequestAsync(address, "x"u8.ToArray()).AsTask().WaitAsync(Patience);
            Assert.Equal("mem-server:x", Encoding.UTF8.GetString(answer.Span));
        }

        await client.SendAsync(PeerAddress.Parse(address.ToString()), "one-way"u8.ToArray()).AsTask().WaitAsync(Patience);
        Assert.Equal(1, network.ConnectionsMade);
        Assert.Equal(1, client.OutboundConnections);
    }

    [Fact]
    public async Task An_address_where_nobody_listens_fails_as_unavailable_through_the_task()
    {
        var network = new InMemoryNetwork();
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("mem-lonely", options => options.Listen = false, network: network);

        ValueTask<PooledPayload> request = client.RequestAsync(PeerAddress.Tcp("127.0.0.1", 1), "x"u8.ToArray());
        PeerUnavailableException error = await Assert.ThrowsAsync<PeerUnavailableException>(() => request.AsTask().WaitAsync(Patience));
        Assert.Equal("127.0.0.1:1", error.PeerId);
    }

    [Fact]
    public async Task Every_connection_both_ways_passes_through_the_middleware_before_the_protocol()
    {
        var network = new InMemoryNetwork();
        await using var cluster = new NodeCluster();
        var serverSide = new CountingMiddleware();
        var clientSide = new CountingMiddleware();
        PeerNode server = await cluster.StartAsync("mw-server", network: network, middleware: serverSide);
        PeerNode client = await cluster.StartAsync("mw-client", options => options.Listen = false, network: network, middleware: clientSide);

        Assert.Equal("mw-server:x", await AskAsync(client, "mw-server", "x"));

        Assert.Equal((1, 0), (serverSide.Accepted, serverSide.Connected));
        Assert.Equal((0, 1), (clientSide.Accepted, clientSide.Connected));

        // The protocol ran over the wrapped connections: every byte went through both wrappers.
        Assert.True(serverSide.BytesRead > 0 && serverSide.BytesWritten > 0, "the server's protocol used the wrapped pipes");
        Assert.True(clientSide.BytesRead > 0 && clientSide.BytesWritten > 0, "the client's protocol used the wrapped pipes");
    }

    [Fact]
    public async Task A_failing_middleware_costs_its_connection_only()
    {
        var network = new InMemoryNetwork();
        await using var cluster = new NodeCluster();
        var refuseFirst = new CountingMiddleware { FailAccepts = 1 };
        PeerNode server = await cluster.StartAsync("mw-picky", network: network, middleware: refuseFirst);
        PeerNode first = await cluster.StartAsync("mw-first", options => options.Listen = false, network: network);
        PeerNode second = await cluster.StartAsync("mw-second", options => options.Listen = false, network: network);

        // The refused connection closes before its handshake: the dialler learns it at once, as a
        // peer it cannot reach, and the listener goes on serving the next one.
        await Assert.ThrowsAsync<PeerUnavailableException>(() => AskAsync(first, "mw-picky", "x").WaitAsync(Patience));
        Assert.Equal("mw-picky:y", await AskAsync(second, "mw-picky", "y"));
        await Eventually.WaitUntilAsync(() => server.InboundConnections == 1, Patience, "only the served connection is counted");
    }

    [Fact]
    public async Task A_middleware_that_never_finishes_is_cut_at_the_handshake_timeout_on_both_sides()
    {
        TimeSpan handshake = TimeSpan.FromMilliseconds(300);
        var network = new InMemoryNetwork();
        await using var cluster = new NodeCluster();
        var stuck = new CountingMiddleware { HangAccepts = true };
        PeerNode server = await cluster.StartAsync("mw-stuck", options => options.Connections.HandshakeTimeout = handshake, network: network, middleware: stuck);
        PeerNode client = await cluster.StartAsync("mw-waiting", options => options.Listen = false, network: network);

        var started = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<PeerException>(() => AskAsync(client, "mw-stuck", "x").WaitAsync(Patience));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(5), $"the request ended after {started.Elapsed}");

        // The server gave up on the stuck setup within its handshake timeout: nothing is left counted.
        await Eventually.WaitUntilAsync(() => stuck.Cancelled == 1, Patience, "the server cancels the stuck middleware");
        Assert.Equal(0, server.InboundConnections);
    }

    [Fact]
    public async Task Without_discovery_a_node_opens_no_registry_and_is_reached_by_address_only()
    {
        var network = new InMemoryNetwork();
        await using var cluster = new NodeCluster();
        PeerNode server = await cluster.StartAsync("quiet-server", options => options.Discover = false, network: network);
        PeerNode client = await cluster.StartAsync("quiet-client", options => (options.Listen, options.Discover) = (false, false), network: network);

        Assert.False(File.Exists(cluster.RegistryPath), "a node without discovery opens no registry");
        using PooledPayload answer = await client.RequestAsync(PeerAddress.Tcp("127.0.0.1", server.TcpEndPoint!.Port), "x"u8.ToArray()).AsTask().WaitAsync(Patience);
        Assert.Equal("quiet-server:x", Encoding.UTF8.GetString(answer.Span));

        PeerNotFoundException byId = await Assert.ThrowsAsync<PeerNotFoundException>(() => AskAsync(client, "quiet-server", "x"));
        Assert.Contains("option Discover", byId.Message, StringComparison.Ordinal);
        Assert.True(server.CheckHealth() is { Running: true, Published: true }, "a node that publishes nowhere is not unhealthy for it");
    }

    private static async Task<string> AskAsync(PeerNode node, string peerId, string text)
    {
        using PooledPayload answer = await node.RequestAsync(peerId, Encoding.UTF8.GetBytes(text)).AsTask().WaitAsync(Patience);
        return Encoding.UTF8.GetString(answer.Span);
    }

    /// <summary>Counts what passes through it; can refuse or stall accepted connections.</summary>
    private sealed class CountingMiddleware : IConnectionMiddleware
    {
        private long _bytesRead;
        private long _bytesWritten;
        private int _accepted;
        private int _connected;
        private int _cancelled;
        private int _failAccepts;

        public int FailAccepts { init => _failAccepts = value; }

        public bool HangAccepts { get; init; }

        public int Accepted => Volatile.Read(ref _accepted);

        public int Connected => Volatile.Read(ref _connected);

        public int Cancelled => Volatile.Read(ref _cancelled);

        public long BytesRead => Interlocked.Read(ref _bytesRead);

        public long BytesWritten => Interlocked.Read(ref _bytesWritten);

        public async ValueTask<TransportConnection> OnAcceptedAsync(TransportConnection connection, CancellationToken cancellationToken)
        {
            if (HangAccepts)
            {
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref _cancelled);
                    throw;
                }
            }

            if (Interlocked.Decrement(ref _failAccepts) >= 0)
            {
                throw new InvalidOperationException("refused by the test middleware");
            }

            Interlocked.Increment(ref _accepted);
            return new CountingConnection(connection, this);
        }

        public ValueTask<TransportConnection> OnConnectedAsync(TransportConnection connection, EndPoint remote, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _connected);
            return ValueTask.FromResult<TransportConnection>(new CountingConnection(connection, this));
        }

        /// <summary>The inner connection with pipes that count every byte the protocol reads and writes.</summary>
        private sealed class CountingConnection(TransportConnection inner, CountingMiddleware counts) : TransportConnection
        {
            private readonly CountingReader _input = new(inner.Input, counts);
            private readonly CountingWriter _output = new(inner.Output, counts);

            public override PipeReader Input => _input;

            public override PipeWriter Output => _output;

            public override EndPoint? RemoteEndPoint => inner.RemoteEndPoint;

            public override EndPoint? LocalEndPoint => inner.LocalEndPoint;

            public override void Abort() => inner.Abort();

            public override ValueTask DisposeAsync() => inner.DisposeAsync();
        }

        private sealed class CountingReader(PipeReader inner, CountingMiddleware counts) : PipeReader
        {
            public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

            public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

            public override void CancelPendingRead() => inner.CancelPendingRead();

            public override void Complete(Exception? exception = null) => inner.Complete(exception);

            public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
            {
                ReadResult result = await inner.ReadAsync(cancellationToken);
                Count(result.Buffer.Length);
                return result;
            }

            public override bool TryRead(out ReadResult result)
            {
                bool read = inner.TryRead(out result);
                if (read)
                {
                    Count(result.Buffer.Length);
                }

                return read;
            }

            // Bytes seen through this reader, re-examined ones again: the tests ask only whether any were.
            private void Count(long length) => Interlocked.Add(ref counts._bytesRead, length);
        }

        private sealed class CountingWriter(PipeWriter inner, CountingMiddleware counts) : PipeWriter
        {
            public override void Advance(int bytes)
            {
                Interlocked.Add(ref counts._bytesWritten, bytes);
                inner.Advance(bytes);
            }

            public override void CancelPendingFlush() => inner.CancelPendingFlush();

            public override void Complete(Exception? exception = null) => inner.Complete(exception);

            public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

            public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

            public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);
        }
    }
}
