using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using PeerEngine.Connections;
using PeerEngine.Transport;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Tests.Support;

/// <summary>Builds pairs of connected <see cref="PeerConnection"/>s, in memory or over real sockets.</summary>
internal sealed class ConnectionHarness : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly List<ConnectionSettings> _settings = [];

    private readonly TransportFactory _transport;

    /// <summary>A harness whose listeners and connectors use <paramref name="transport"/> (default: sockets).</summary>
    public ConnectionHarness(PeerConnectionOptions? options = null, TimeProvider? time = null, TransportFactory? transport = null)
    {
        Options = options ?? new PeerConnectionOptions();
        Time = time ?? TimeProvider.System;
        _transport = transport ?? SocketTransport.Factory;
    }

    public PeerConnectionOptions Options { get; }

    public TimeProvider Time { get; }

    public ConnectionSettings Settings(string nodeId, RequestHandler? onRequest = null, MessageHandler? onMessage = null)
    {
        var settings = new ConnectionSettings(nodeId, Options, new ConnectionHandlers(onRequest, onMessage), time: Time);
        _settings.Add(settings);
        return settings;
    }

    /// <summary>Two connections over the in-memory transport, handshake done.</summary>
    public async Task<(PeerConnection Client, PeerConnection Server)> InMemoryAsync(
        RequestHandler? serverRequests = null,
        MessageHandler? serverMessages = null,
        RequestHandler? clientRequests = null,
        LinkFaults? clientFaults = null,
        LinkFaults? serverFaults = null,
        PipeScheduler? serverReceiveScheduler = null)
    {
        (InMemoryConnection connecting, InMemoryConnection accepting) = InMemoryConnection.CreatePair(clientFaults, serverFaults, serverReceiveScheduler);
        PeerConnection client = Settings("client", clientRequests).Create(connecting, ConnectionRole.Connecting);
        PeerConnection server = Settings("server", serverRequests, serverMessages).Create(accepting, ConnectionRole.Accepting);
        _owned.Add(client);
        _owned.Add(server);
        server.Start();
        client.Start();
        await Task.WhenAll(client.Handshaken, server.Handshaken).WaitAsync(TimeSpan.FromSeconds(10));
        return (client, server);
    }

    /// <summary>A listener on loopback TCP (or a Unix socket), serving with the given handlers.</summary>
    public PeerListener Listen(RequestHandler? onRequest = null, MessageHandler? onMessage = null, bool unix = false, PeerListenerOptions? listenerOptions = null)
    {
        EndPoint endPoint = unix ? new UnixDomainSocketEndPoint(TempPaths.UnixSocket()) : new IPEndPoint(IPAddress.Loopback, 0);
        ConnectionSettings settings = Settings("server", onRequest, onMessage);
        PeerListener listener = PeerListener.Start(_transport(settings.Transport), endPoint, settings, listenerOptions);
        _owned.Add(listener);
        return listener;
    }

    /// <summary>Connects a client to <paramref name="endPoint"/>, handshake done.</summary>
    public async Task<PeerConnection> ConnectAsync(EndPoint endPoint, RequestHandler? onRequest = null)
    {
        ConnectionSettings settings = Settings("client", onRequest);
        PeerConnection client = await new PeerConnector(_transport(settings.Transport), settings).ConnectAsync(endPoint);
        _owned.Add(client);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (IAsyncDisposable owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        foreach (ConnectionSettings settings in _settings)
        {
            settings.Dispose();
        }
    }
}
