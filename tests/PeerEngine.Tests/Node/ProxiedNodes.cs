using System.Buffers;
using System.Runtime.Versioning;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Node;
using PeerEngine.Registry;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Node;

/// <summary>
/// Two real nodes on loopback sharing a registry file in a scratch folder, the client reaching the
/// server only through a <see cref="FaultProxy"/>: the client's discovery shows the server at the
/// proxy's port. The server answers every request with its payload reversed, so every answer can be
/// checked byte for byte, except a request whose first byte is <see cref="Hold"/>: that one waits
/// until the test releases it (or its connection ends).
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed class ProxiedNodes : IAsyncDisposable
{
    public const byte Hold = (byte)'H';

    private readonly TempFolder _folder = new();
    private readonly PeerRegistry _clientRegistry;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _held;
    private int _handled;
    private TaskCompletionSource<int>? _heldTarget;
    private int _heldTargetCount;

    private ProxiedNodes(Action<PeerNodeOptions>? configureClient)
    {
        var registryOptions = new PeerRegistryOptions
        {
            Path = _folder.RegistryPath,
            Ttl = NodeCluster.Ttl,
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            WatchInterval = TimeSpan.FromMilliseconds(50),
        };
        Server = new PeerNode(new PeerNodeOptions { NodeId = "server", Registry = registryOptions })
        {
            RequestHandler = HandleAsync,
            MessageHandler = (message, _) =>
            {
                Messages.Enqueue(message.Payload.ToArray());
                return ValueTask.CompletedTask;
            },
        };
        _clientRegistry = new PeerRegistry(registryOptions);
        ClientOptions = new PeerNodeOptions { NodeId = "client", Listen = false, Registry = registryOptions };
        configureClient?.Invoke(ClientOptions);
    }

    public PeerNode Server { get; }

    public PeerNode Client { get; private set; } = null!;

    public PeerNodeOptions ClientOptions { get; }

    public FaultProxy Proxy { get; private set; } = null!;

    /// <summary>The MESSAGEs the server received, in order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<byte[]> Messages { get; } = new();

    /// <summary>Requests the server's handler has started (held ones included).</summary>
    public int Handled => Volatile.Read(ref _handled);

    /// <summary>Starts the server, the proxy in front of it and the client; returns once the client has the server's record.</summary>
    public static async Task<ProxiedNodes> StartAsync(Action<PeerNodeOptions>? configureClient = null)
    {
        var nodes = new ProxiedNodes(configureClient);
        await nodes.Server.StartAsync();
        nodes.Proxy = FaultProxy.Start(nodes.Server.TcpEndPoint!);
        var discovery = new RedirectingDiscovery(nodes._clientRegistry, new Dictionary<string, int> { ["server"] = nodes.Proxy.Port });
        nodes.Client = new PeerNode(nodes.ClientOptions, discovery);
        await nodes.Client.StartAsync();
        await Eventually.TrueAsync(() => nodes.Client.Peers.Any(p => p.Id == "server"), "the client sees the server");
        Assert.Equal(nodes.Proxy.Port, nodes.Client.Peers.Single(p => p.Id == "server").Port);
        return nodes;
    }

    /// <summary>The answer the server gives to <paramref name="payload"/>.</summary>
    public static byte[] Expected(ReadOnlySpan<byte> payload)
    {
        byte[] reversed = payload.ToArray();
        Array.Reverse(reversed);
        return reversed;
    }

    /// <summary>A payload of <paramref name="length"/> bytes, different for each <paramref name="seed"/>, never starting with <see cref="Hold"/>.</summary>
    public static byte[] Payload(int length, int seed)
    {
        byte[] payload = new byte[length];
        new Random(seed).NextBytes(payload);
        if (length > 0 && payload[0] == Hold)
        {
            payload[0] = 0;
        }

        return payload;
    }

    /// <summary>Sends <paramref name="payload"/> to the server and checks the answer byte for byte.</summary>
    public async Task RequestAndCheckAsync(byte[] payload, TimeSpan? timeout = null)
    {
        using PooledPayload answer = await Client.RequestAsync("server", payload, timeout);
        Assert.Equal(Expected(payload), answer.ToArray());
    }

    /// <summary>Sends a request the server holds until <see cref="ReleaseHeld"/>.</summary>
    public Task<PooledPayload> RequestHeldAsync(int number) =>
        Client.RequestAsync("server", new byte[] { Hold, (byte)number }).AsTask();

    /// <summary>Completes once the server holds <paramref name="count"/> requests.</summary>
    public Task WhenHeldAsync(int count)
    {
        var target = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _heldTargetCount, count);

        // A full fence before reading the count: a handler either sees this target or is counted below.
        Interlocked.Exchange(ref _heldTarget, target);
        if (Volatile.Read(ref _held) >= count)
        {
            target.TrySetResult(count);
        }

        return target.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public void ReleaseHeld() => _release.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        ReleaseHeld();
        await Client.DisposeAsync();
        await Proxy.DisposeAsync();
        await Server.DisposeAsync();
        _clientRegistry.Dispose();
        _folder.Dispose();
    }

    private async ValueTask HandleAsync(PeerRequest request, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _handled);
        if (request.Payload.Length > 0 && request.Payload.Span[0] == Hold)
        {
            int held = Interlocked.Increment(ref _held);
            if (held >= Volatile.Read(ref _heldTargetCount))
            {
                Volatile.Read(ref _heldTarget)?.TrySetResult(held);
            }

            await _release.Task.WaitAsync(cancellationToken);
        }

        request.Response.Write(Expected(request.Payload.Span));
    }
}
