using System.Buffers;
using System.Net;
using PeerEngine.Buffers;

namespace PeerEngine.Load.Targets;

/// <summary>
/// The load tool's only contact with PeerEngine, on its public API. Each link is a client-only node
/// (it neither listens nor discovers) holding one connection to its target address, so that
/// <c>--connections N</c> means N connections.
/// </summary>
/// <param name="reconnect">How a link dials again after losing its connection; <see cref="Reconnect.Default"/> when null.</param>
internal sealed class PeerEngineClient(string localId, int maxPayloadLength = 1024 * 1024, Reconnect? reconnect = null) : IDisposable
{
    /// <summary>Connects and completes the handshake.</summary>
    public async Task<PeerEngineLink> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        var node = new PeerNode(NodeOptions(localId, maxPayloadLength, listen: false, reconnect ?? Reconnect.Default));
        var address = PeerAddress.FromEndPoint(endPoint);
        try
        {
            await node.StartAsync(cancellationToken).ConfigureAwait(false);
            await node.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
            return new PeerEngineLink(node, address);
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void Dispose()
    {
        // Each link owns its node: nothing is shared among them.
    }

    /// <summary>
    /// The error code of a failed call: <c>ERROR 6 Overloaded</c> for a peer's ERROR frame, the
    /// exception type otherwise (connection lost, timeout, …).
    /// </summary>
    public static string ErrorCodeOf(Exception exception) => exception switch
    {
        PeerErrorException peer => $"ERROR {(ushort)peer.Code} {peer.Code}",
        _ => exception.GetType().Name,
    };

    /// <summary>
    /// The endpoints of the live peers in the registry file at <paramref name="path"/>, or of the one
    /// with <paramref name="peerId"/>. Linux only: the registry is a memory-mapped file with POSIX locks.
    /// </summary>
    public static IReadOnlyList<(string Id, EndPoint EndPoint)> Discover(string path, string? peerId)
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Registry targets need Linux (the peer registry is Linux-only).");
        }

        using var registry = new PeerRegistry(new PeerRegistryOptions { Path = path });
        return [.. registry.Discover()
            .Where(p => peerId is null || p.Id == peerId)
            .Select(p => (p.Id, PeerAddress.FromRecord(p)?.EndPoint))
            .Where(p => p.EndPoint is not null)
            .Select(p => (p.Id, p.EndPoint!))];
    }

    /// <summary>True for the ways reaching a peer fails (refused, broken, timed out): the CLI prints these as one line.</summary>
    public static bool IsConnectionFailure(Exception exception) =>
        exception is System.Net.Sockets.SocketException or TimeoutException or IOException or PeerException or PeerRegistryException or PlatformNotSupportedException;

    internal static PeerNodeOptions NodeOptions(string id, int maxPayloadLength, bool listen, Reconnect? reconnect = null) => new()
    {
        NodeId = id,
        Listen = listen,
        Discover = false,
        Connections = new PeerConnectionOptions
        {
            MaxPayloadLength = maxPayloadLength,

            // A load test measures the target, not the engine's default guard rails: a generous window
            // of requests in flight per connection, so the generator's concurrency cap is what limits.
            MaxRequestsInFlight = 16 * 1024,
            MaxSendBufferSize = 8 * 1024 * 1024,
        },

        // One connection per link, whatever its load: the tool's own pool spreads calls over links. A
        // lost connection is dialled again by the node's pool on the next call, after the back-off.
        Pool = new ConnectionPoolOptions
        {
            MaxConnectionsPerPeer = 1,
            RequestsPerConnection = int.MaxValue,
            ReconnectBackoff = (reconnect ?? Reconnect.Default).Backoff,
            MaxReconnectBackoff = (reconnect ?? Reconnect.Default).MaxBackoff,
        },
    };
}

/// <summary>One connection to a peer: request/response, one-way messages, close.</summary>
internal sealed class PeerEngineLink(PeerNode node, PeerAddress address) : IAsyncDisposable
{
    /// <summary>Sends a request and waits for its answer; returns the answer's length in bytes.</summary>
    public async ValueTask<int> RequestAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        using PooledPayload answer = await node.RequestAsync(address, payload, cancellationToken: cancellationToken).ConfigureAwait(false);
        return answer.Length;
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        node.SendAsync(address, payload, cancellationToken);

    /// <summary>Closes gracefully (GOODBYE, drain) within <paramref name="drainTimeout"/>.</summary>
    public async Task CloseAsync(TimeSpan drainTimeout)
    {
        using var cut = new CancellationTokenSource(drainTimeout);
        await node.StopAsync(cut.Token).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => node.DisposeAsync();
}

/// <summary>A PeerEngine node that echoes requests and counts messages: the embedded target.</summary>
internal sealed class PeerEngineEchoPeer : IAsyncDisposable
{
    private readonly PeerNode _node;
    private long _messages;

    private PeerEngineEchoPeer(PeerNode node) => _node = node;

    /// <summary>The endpoint bound: the Unix socket when one was asked for, else the TCP endpoint.</summary>
    public EndPoint EndPoint => _node.UnixSocketPath is { } path
        ? PeerAddress.Unix(path).EndPoint
        : _node.TcpEndPoint!;

    public long MessagesReceived => Interlocked.Read(ref _messages);

    /// <summary>Starts a node listening at <paramref name="endPoint"/>: a TCP endpoint (port 0 picks one), or a Unix socket beside TCP on loopback.</summary>
    public static async Task<PeerEngineEchoPeer> StartAsync(EndPoint endPoint, string id = "load-echo", int maxPayloadLength = 1024 * 1024)
    {
        PeerNodeOptions options = PeerEngineClient.NodeOptions(id, maxPayloadLength, listen: true);
        if (endPoint is IPEndPoint ip)
        {
            (options.Host, options.Port) = (ip.Address.ToString(), ip.Port);
        }
        else
        {
            options.UnixSocketPath = PeerAddress.FromEndPoint(endPoint).UnixSocketPath;
        }

        var node = new PeerNode(options);
        var peer = new PeerEngineEchoPeer(node);
        node.RequestHandler = Echo;
        node.MessageHandler = peer.Count;
        await node.StartAsync().ConfigureAwait(false);
        return peer;
    }

    public ValueTask DisposeAsync() => _node.DisposeAsync();

    private static ValueTask Echo(PeerRequest request, CancellationToken cancellationToken)
    {
        request.Response.Write(request.Payload.Span);
        return ValueTask.CompletedTask;
    }

    private ValueTask Count(PeerMessage message, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _messages);
        return ValueTask.CompletedTask;
    }
}
