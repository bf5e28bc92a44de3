using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using PeerEngine.Transport;

namespace PeerEngine.Tests.Support;

/// <summary>
/// A transport whose listeners and connections live in this process: nodes and pools on it run whole
/// conversations without a socket. Endpoints are IP endpoints as usual (port 0 picks a free one), so
/// what a node publishes is what another dials. Connecting where nobody listens is refused, as TCP is.
/// </summary>
internal sealed class InMemoryNetwork
{
    private readonly ConcurrentDictionary<EndPoint, Listener> _listeners = new();
    private int _nextPort = 40_000;
    private int _connectionsMade;

    /// <summary>Connections made so far.</summary>
    public int ConnectionsMade => Volatile.Read(ref _connectionsMade);

    /// <summary>Faults applied to what each new connecting side sends; none by default.</summary>
    public Func<LinkFaults>? ConnectingFaults { get; set; }

    /// <summary>The transport a node is given: every node of one network reaches the others.</summary>
    public TransportFactory Transport => _ => new InMemoryTransport(this);

    /// <summary>Stops whoever listens at <paramref name="endPoint"/> from accepting more (a peer that died): connects are refused.</summary>
    public void Unplug(EndPoint endPoint)
    {
        if (_listeners.TryRemove(endPoint, out Listener? listener))
        {
            listener.Close();
        }
    }

    private sealed class InMemoryTransport(InMemoryNetwork network) : IConnectionTransport
    {
        public IConnectionListener Listen(EndPoint endPoint, int backlog)
        {
            if (endPoint is IPEndPoint { Port: 0 } any)
            {
                endPoint = new IPEndPoint(any.Address, Interlocked.Increment(ref network._nextPort));
            }

            var listener = new Listener(network, endPoint);
            if (!network._listeners.TryAdd(endPoint, listener))
            {
                throw new IOException($"Cannot listen on {endPoint}: the in-memory address is in use.");
            }

            return listener;
        }

        public ValueTask<TransportConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!network._listeners.TryGetValue(endPoint, out Listener? listener))
            {
                return ValueTask.FromException<TransportConnection>(new SocketException((int)SocketError.ConnectionRefused));
            }

            (InMemoryConnection connecting, InMemoryConnection accepting) = InMemoryConnection.CreatePair(network.ConnectingFaults?.Invoke());
            if (!listener.Offer(accepting))
            {
                return ValueTask.FromException<TransportConnection>(new SocketException((int)SocketError.ConnectionRefused));
            }

            Interlocked.Increment(ref network._connectionsMade);
            return ValueTask.FromResult<TransportConnection>(connecting);
        }
    }

    private sealed class Listener(InMemoryNetwork network, EndPoint endPoint) : IConnectionListener
    {
        private readonly Channel<TransportConnection> _backlog = Channel.CreateUnbounded<TransportConnection>();

        public EndPoint EndPoint { get; } = endPoint;

        public bool Offer(TransportConnection connection) => _backlog.Writer.TryWrite(connection);

        public void Close() => _backlog.Writer.TryComplete();

        public async ValueTask<TransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            try
            {
                return await _backlog.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                return null;
            }
        }

        public ValueTask DisposeAsync()
        {
            network._listeners.TryRemove(new KeyValuePair<EndPoint, Listener>(EndPoint, this));
            Close();
            return ValueTask.CompletedTask;
        }
    }
}
