using System.Buffers;
using System.Text;
using PeerEngine.Connections;
using PeerEngine.Diagnostics;
using PeerEngine.Node;
using PeerEngine.Registry;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;
using PeerEngine.Transport;
using PeerEngine.Transport.SharedMemory;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Tests.Node;

/// <summary>Nodes of one test sharing one registry file in a scratch folder, with short registry timings.</summary>
internal sealed class NodeCluster : IAsyncDisposable
{
    private readonly TempFolder _folder = new();
    private readonly List<PeerNode> _nodes = [];

    public string RegistryPath => _folder.RegistryPath;

    public static TimeSpan Ttl => TimeSpan.FromSeconds(2);

    public PeerRegistryOptions RegistryOptions() => new()
    {
        Path = RegistryPath,
        Ttl = Ttl,
        HeartbeatInterval = TimeSpan.FromMilliseconds(200),
        WatchInterval = TimeSpan.FromMilliseconds(50),
    };

    /// <summary>Answers with "{node id}:{payload}", so a test sees who answered.</summary>
    public static RequestHandler Answering(string nodeId) => (request, _) =>
    {
        request.Response.Write(Encoding.UTF8.GetBytes(nodeId + ":"));
        request.Response.Write(request.Payload.Span);
        return ValueTask.CompletedTask;
    };

    /// <summary>Starts a node on this cluster's registry; on <paramref name="network"/> instead of sockets when given.</summary>
    public async Task<PeerNode> StartAsync(
        string id,
        Action<PeerNodeOptions>? configure = null,
        RequestHandler? handler = null,
        PeerEngineMetrics? metrics = null,
        InMemoryNetwork? network = null,
        params IConnectionMiddleware[] middleware)
    {
        var options = new PeerNodeOptions { NodeId = id, Registry = RegistryOptions() };
        configure?.Invoke(options);
        // Off the in-memory network, the transport a node made with its public constructor has: sockets,
        // with shared memory in front of its Unix sockets.
        TransportFactory transport = network?.Transport ?? SharedMemoryTransport.Over(SocketTransport.Factory, options.SharedMemory);
        var node = new PeerNode(options, null, null, null, metrics, transport, middleware)
        {
            RequestHandler = handler ?? Answering(id),
        };
        _nodes.Add(node);
        await node.StartAsync();
        return node;
    }

    /// <summary>Waits until every node sees every other.</summary>
    public static Task SeeEachOtherAsync(params PeerNode[] nodes) => Eventually.WaitUntilAsync(
        () => nodes.All(n => nodes.Where(o => o != n).All(o => n.Peers.Any(p => p.Id == o.Id))),
        TimeSpan.FromSeconds(10),
        "every node sees every other");

    public async ValueTask DisposeAsync()
    {
        foreach (PeerNode node in _nodes)
        {
            await node.DisposeAsync();
        }

        _folder.Dispose();
    }
}
