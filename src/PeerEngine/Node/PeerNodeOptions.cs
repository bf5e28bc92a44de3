using PeerEngine.Connections;
using PeerEngine.Framing;

namespace PeerEngine;

/// <summary>Everything a <see cref="PeerNode"/> can be told; every default works as is.</summary>
public sealed class PeerNodeOptions
{
    /// <summary>The node's id (1–64 ASCII letters, digits, '.', '_', '-'). Default: generated from the host name, the process id and a random suffix.</summary>
    public string? NodeId { get; set; }

    /// <summary>The address to listen on for TCP. Default 127.0.0.1; use "::1" for IPv6, "0.0.0.0" for every interface.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>
    /// The host other peers dial to reach this node, as published to discovery: an IP address or a
    /// DNS name (resolved by each peer when it dials). Default <see langword="null"/>: the address
    /// listened on, a wildcard one published as loopback, which only a machine-local registry can
    /// use. A discovery shared by several machines needs it whenever <see cref="Host"/> is a wildcard
    /// or loopback address.
    /// </summary>
    public string? AdvertiseHost { get; set; }

    /// <summary>The TCP port; 0 picks a free one. Default 0.</summary>
    public int Port { get; set; }

    /// <summary>
    /// Also listen on this Unix domain socket path; peers on the same machine prefer it. Default none:
    /// see <see cref="AutomaticUnixSocket"/>.
    /// </summary>
    public string? UnixSocketPath { get; set; }

    /// <summary>
    /// Without a <see cref="UnixSocketPath"/>, a node that publishes to its registry file listens on a
    /// Unix socket of its own beside that file (<c>peer-PID-N.sock</c>, owner-only, removed when the
    /// node stops, and by the next node to start there after a crash), so that the machine's other
    /// peers reach it without TCP, through shared memory when both offer it. A node of another
    /// discovery, or one whose socket path would be too long, is reached over TCP. Default on (Linux).
    /// </summary>
    public bool AutomaticUnixSocket { get; set; } = true;

    /// <summary>
    /// Listen and publish this node. Off, the node neither listens nor appears in the registry: it only
    /// finds peers and talks to them (a client, such as <c>peerengine send</c>). Default on.
    /// </summary>
    public bool Listen { get; set; } = true;

    /// <summary>
    /// Publish this node and find peers through discovery (the registry, or the <see cref="IPeerDiscovery"/>
    /// the node is given). Off, the node opens no registry: it reaches peers by address only
    /// (<see cref="PeerNode.RequestAsync(PeerAddress, ReadOnlyMemory{byte}, TimeSpan?, CancellationToken)"/>),
    /// and, if it listens, is reached by its address. Default on.
    /// </summary>
    public bool Discover { get; set; } = true;

    /// <summary>Reach peers that published a Unix socket over it rather than TCP. Default on.</summary>
    public bool PreferUnixSockets { get; set; } = true;

    /// <summary>
    /// Shared-memory rings to and from peers of this machine, set up over the Unix socket: offered on
    /// <see cref="UnixSocketPath"/>, and used to reach a peer that offers it, before its Unix socket
    /// and TCP. On by default (Linux); <c>Enabled = false</c> turns it off.
    /// </summary>
    public PeerSharedMemoryOptions SharedMemory { get; set; } = new();

    /// <summary>The registry: file path (default: the per-user default registry), TTL, heartbeat, capacity.</summary>
    public PeerRegistryOptions Registry { get; set; } = new();

    /// <summary>Limits and timeouts of every connection (payload size, handshake, keep-alive, drain…).</summary>
    public PeerConnectionOptions Connections { get; set; } = new();

    /// <summary>Limits of the listeners (connections at once, backlog).</summary>
    public PeerListenerOptions Listener { get; set; } = new();

    /// <summary>How connections to each peer are pooled.</summary>
    public ConnectionPoolOptions Pool { get; set; } = new();

    /// <summary>
    /// Mutual TLS on every connection: listen with TLS only and dial peers with TLS, each peer's id
    /// bound to its certificate. Default none (plain text).
    /// </summary>
    public PeerTlsOptions? Tls { get; set; }

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first option out of range.</summary>
    public void Validate()
    {
        if (NodeId is not null)
        {
            NodeIdSyntax.Validate(NodeId, nameof(NodeId));
        }

        if (string.IsNullOrWhiteSpace(Host) || !System.Net.IPAddress.TryParse(Host, out _))
        {
            throw new ArgumentException($"Option {nameof(Host)} must be an IP address, not '{Host}'.", nameof(Host));
        }

        if (AdvertiseHost is not null && !IsDialableHost(AdvertiseHost))
        {
            throw new ArgumentException($"Option {nameof(AdvertiseHost)} must be an IP address or a DNS name that peers can dial, not '{AdvertiseHost}'.", nameof(AdvertiseHost));
        }

        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"Option {nameof(Port)} must be 0 to 65535, not {Port}.", nameof(Port));
        }

        Connections.Validate();
        Listener.Validate();
        Pool.Validate();
        Registry.Validate();
        SharedMemory.Validate();
        Tls?.Validate();
    }

    // A wildcard address names no machine: a peer that dials it reaches itself.
    private static bool IsDialableHost(string host)
    {
        string bare = host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        if (System.Net.IPAddress.TryParse(bare, out System.Net.IPAddress? address))
        {
            return !address.Equals(System.Net.IPAddress.Any) && !address.Equals(System.Net.IPAddress.IPv6Any);
        }

        return bare == host && Uri.CheckHostName(host) == UriHostNameType.Dns;
    }
}
