using System.Buffers;
using System.Net;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Connections.Internal;
using PeerEngine.Registry;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Load.Targets;

// The load tool's only contact with PeerEngine. Until the node (PeerNode, its connection pool and
// RequestAsync(peerId, payload)) is public, it drives the connection layer directly; when the node
// lands, this file is the one to rewrite and nothing else in load/ changes. What the node must offer
// in its place is listed in load/README.md ("The engine adapter").

/// <summary>A local PeerEngine endpoint that dials peers: owns the settings its connections share.</summary>
internal sealed class PeerEngineClient : IDisposable
{
    private readonly ConnectionSettings _settings;
    private readonly PeerConnector _connector;

    public PeerEngineClient(string localId, int maxPayloadLength = 1024 * 1024)
    {
        _settings = new ConnectionSettings(localId, Options(maxPayloadLength));
        _connector = new PeerConnector(new SocketTransport(_settings.Transport), _settings);
    }

    /// <summary>Connects and completes the handshake.</summary>
    public async Task<PeerEngineLink> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken)
    {
        PeerConnection connection = await _connector.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        return new PeerEngineLink(connection);
    }

    public void Dispose() => _settings.Dispose();

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
            .Select(p => (p.Id, p.Transport == PeerTransport.UnixSocket || (p.UnixPath is not null && p.Host.Length == 0)
                ? (EndPoint)new System.Net.Sockets.UnixDomainSocketEndPoint(p.UnixPath!)
                : IPAddress.TryParse(p.Host, out IPAddress? address) ? new IPEndPoint(address, p.Port) : new DnsEndPoint(p.Host, p.Port)))];
    }

    /// <summary>True for the ways reaching a peer fails (refused, broken, timed out): the CLI prints these as one line.</summary>
    public static bool IsConnectionFailure(Exception exception) =>
        exception is System.Net.Sockets.SocketException or TimeoutException or IOException or PeerException or PeerRegistryException or PlatformNotSupportedException;

    internal static PeerConnectionOptions Options(int maxPayloadLength) => new()
    {
        MaxPayloadLength = maxPayloadLength,

        // A load test measures the target, not the engine's default guard rails: a generous window of
        // requests in flight per connection, so the generator's concurrency cap is what limits.
        MaxRequestsInFlight = 16 * 1024,
        MaxSendBufferSize = 8 * 1024 * 1024,
    };
}

/// <summary>One connection to a peer: request/response, one-way messages, close.</summary>
internal sealed class PeerEngineLink(PeerConnection connection) : IAsyncDisposable
{
    public string RemoteId => connection.RemoteNodeId;

    /// <summary>Sends a request and waits for its answer; returns the answer's length in bytes.</summary>
    public async ValueTask<int> RequestAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        using PooledPayload answer = await connection.RequestAsync(payload, cancellationToken: cancellationToken).ConfigureAwait(false);
        return answer.Length;
    }

    public ValueTask SendAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        connection.SendMessageAsync(payload, cancellationToken);

    /// <summary>Closes gracefully (GOODBYE, drain) within <paramref name="drainTimeout"/>.</summary>
    public Task CloseAsync(TimeSpan drainTimeout) => connection.CloseAsync(drainTimeout);

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}

/// <summary>A PeerEngine endpoint that echoes requests and counts messages: the embedded target.</summary>
internal sealed class PeerEngineEchoPeer : IAsyncDisposable
{
    private readonly ConnectionSettings _settings;
    private readonly PeerListener _listener;
    private long _messages;

    private PeerEngineEchoPeer(EndPoint endPoint, string id, int maxPayloadLength)
    {
        _settings = new ConnectionSettings(
            id,
            PeerEngineClient.Options(maxPayloadLength),
            new ConnectionHandlers(Echo, Count));
        _listener = PeerListener.Start(new SocketTransport(_settings.Transport), endPoint, _settings);
    }

    public EndPoint EndPoint => _listener.EndPoint;

    public long MessagesReceived => Interlocked.Read(ref _messages);

    public static PeerEngineEchoPeer Start(EndPoint endPoint, string id = "load-echo", int maxPayloadLength = 1024 * 1024) =>
        new(endPoint, id, maxPayloadLength);

    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync().ConfigureAwait(false);
        _settings.Dispose();
    }

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
