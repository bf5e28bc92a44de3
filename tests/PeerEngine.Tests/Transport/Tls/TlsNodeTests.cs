using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PeerEngine.Framing;
using PeerEngine.Tests.Node;
using PeerEngine.Tests.Support;
using PeerEngine.Transport;

namespace PeerEngine.Tests.Transport.Tls;

/// <summary>Mutual TLS between real nodes on loopback TCP and Unix sockets, with certificates made here.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class TlsNodeTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(1);

    private static string Text(PooledPayload payload) => Encoding.UTF8.GetString(payload.Span);

    [Fact]
    public async Task Two_nodes_with_mutual_tls_exchange_requests_both_ways_over_tcp()
    {
        var pki = new TestPki();
        await using var cluster = new NodeCluster();
        PeerNode a = await cluster.StartAsync("tls-a", o => { o.Tls = pki.Options(pki.Issue("tls-a")); o.PreferUnixSockets = false; });
        PeerNode b = await cluster.StartAsync("tls-b", o => { o.Tls = pki.Options(pki.Issue("tls-b")); o.PreferUnixSockets = false; });
        await NodeCluster.SeeEachOtherAsync(a, b);

        using (PooledPayload answer = await a.RequestAsync("tls-b", "hello"u8.ToArray()))
        {
            Assert.Equal("tls-b:hello", Text(answer));
        }

        using (PooledPayload answer = await b.RequestAsync("tls-a", new byte[100_000]))
        {
            Assert.Equal(100_000 + "tls-a:".Length, answer.Length);
        }
    }

    [Fact]
    public async Task Two_nodes_with_mutual_tls_exchange_requests_over_unix_sockets()
    {
        var pki = new TestPki();
        await using var cluster = new NodeCluster();
        PeerNode a = await cluster.StartAsync("ux-a", o => { o.Tls = pki.Options(pki.Issue("ux-a")); o.UnixSocketPath = TempPaths.UnixSocket(); });
        PeerNode b = await cluster.StartAsync("ux-b", o => { o.Tls = pki.Options(pki.Issue("ux-b")); o.UnixSocketPath = TempPaths.UnixSocket(); });
        await NodeCluster.SeeEachOtherAsync(a, b);

        using PooledPayload answer = await a.RequestAsync("ux-b", "over unix"u8.ToArray());
        Assert.Equal("ux-b:over unix", Text(answer));
        Assert.Equal(1, b.InboundConnections);

        // The same check by hand: TLS on the Unix socket path itself.
        await using RawTlsClient raw = await RawTlsClient.ConnectAsync(new UnixDomainSocketEndPoint(b.UnixSocketPath!), pki.Issue("raw"));
        await raw.SendHelloAsync("raw");
        (FrameHeader header, _) = await raw.ReadFrameAsync();
        Assert.Equal(FrameKind.Hello, header.Kind);
    }

    [Fact]
    public async Task A_node_takes_its_id_from_its_certificate_and_refuses_an_id_the_certificate_does_not_name()
    {
        var pki = new TestPki();
        X509Certificate2 certificate = pki.Issue(["first", "second"], commonName: "ignored-cn");
        await using var node = new PeerNode(new PeerNodeOptions { Discover = false, Tls = pki.Options(certificate) });
        Assert.Equal("first", node.Id);

        await using var second = new PeerNode(new PeerNodeOptions { Discover = false, NodeId = "second", Tls = pki.Options(certificate) });
        Assert.Equal("second", second.Id);

        var e = Assert.Throws<ArgumentException>(() => new PeerNode(new PeerNodeOptions { Discover = false, NodeId = "ignored-cn", Tls = pki.Options(certificate) }));
        Assert.Contains("'first', 'second'", e.Message, StringComparison.Ordinal);

        // Without peerengine URIs the common name names the node.
        await using var byName = new PeerNode(new PeerNodeOptions { Discover = false, Tls = pki.Options(pki.Issue([], commonName: "by-cn")) });
        Assert.Equal("by-cn", byName.Id);
    }

    [Fact]
    public async Task A_client_without_a_certificate_is_refused_with_a_log_event_and_no_protocol_byte()
    {
        var pki = new TestPki();
        var logs = new RecordingLoggerFactory();
        await using Served server = await Served.StartAsync(pki, "server", logs);

        try
        {
            await using RawTlsClient client = await RawTlsClient.ConnectAsync(server.EndPoint, certificate: null);
            await client.ExpectRefusedAsync("client");
        }
        catch (AuthenticationException)
        {
        }

        await Eventually.TrueAsync(() => logs.Has(110, "no certificate"), "log event 110 naming the missing certificate");
        Assert.DoesNotContain(logs.Events, e => e.Id == 105);
        await server.StillServesAsync(pki);
    }

    [Fact]
    public async Task A_node_whose_certificate_another_ca_signed_is_refused_both_ways()
    {
        var pki = new TestPki();
        var stranger = new TestPki("Some other CA");
        var logs = new RecordingLoggerFactory();
        await using Served server = await Served.StartAsync(pki, "server", logs);

        // The stranger trusts the server's CA, the server does not trust the stranger's.
        PeerTlsOptions options = stranger.Options(stranger.Issue("stranger"));
        options.CertificateAuthorities.Add(pki.Ca);
        await using var client = new PeerNode(new PeerNodeOptions { Discover = false, Listen = false, Tls = options });
        await client.StartAsync();
        var lost = await Assert.ThrowsAnyAsync<PeerException>(() => client.RequestAsync(server.Address, "x"u8.ToArray()).AsTask());
        Assert.True(Flatten(lost).Contains("TLS handshake", StringComparison.Ordinal), Flatten(lost));
        await Eventually.TrueAsync(() => logs.Has(110, "not signed by a trusted CA"), "the server logs the untrusted CA");

        // The other way: a node of the server's CA dialling a listener of the stranger's CA.
        var strangerLogs = new RecordingLoggerFactory();
        await using Served strangerServer = await Served.StartAsync(stranger, "stranger-server", strangerLogs);
        await using var trusting = new PeerNode(new PeerNodeOptions { Discover = false, Listen = false, Tls = pki.Options(pki.Issue("trusting")) }, loggerFactory: logs);
        await trusting.StartAsync();
        var refused = await Assert.ThrowsAnyAsync<PeerException>(() => trusting.RequestAsync(strangerServer.Address, "x"u8.ToArray()).AsTask());
        Assert.Contains("not signed by a trusted CA", Flatten(refused), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_or_not_yet_valid_client_certificate_is_refused()
    {
        var pki = new TestPki();
        var logs = new RecordingLoggerFactory();
        await using Served server = await Served.StartAsync(pki, "server", logs);
        DateTimeOffset now = DateTimeOffset.UtcNow;

        foreach (X509Certificate2 certificate in new[]
        {
            pki.Issue(["old"], notBefore: now.AddDays(-10), notAfter: now.AddDays(-1)),
            pki.Issue(["future"], notBefore: now.AddDays(1), notAfter: now.AddDays(10)),
        })
        {
            try
            {
                await using RawTlsClient client = await RawTlsClient.ConnectAsync(server.EndPoint, certificate);
                await client.ExpectRefusedAsync(certificate.GetNameInfo(X509NameType.SimpleName, false));
            }
            catch (AuthenticationException)
            {
            }
        }

        await Eventually.TrueAsync(() => logs.Events.Count(e => e.Id == 110 && e.Message.Contains("expired or not yet valid", StringComparison.Ordinal)) == 2, "two refusals logged");
        await server.StillServesAsync(pki);
    }

    [Fact]
    public async Task An_own_expired_certificate_fails_the_constructor_with_one_line()
    {
        var pki = new TestPki();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        X509Certificate2 expired = pki.Issue(["old"], notBefore: now.AddDays(-10), notAfter: now.AddDays(-1));
        var e = Assert.Throws<ArgumentException>(() => new PeerNode(new PeerNodeOptions { Discover = false, Tls = pki.Options(expired) }));
        Assert.Contains("expired", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task A_hello_with_an_id_the_certificate_does_not_name_gets_error_1_alone()
    {
        var pki = new TestPki();
        var logs = new RecordingLoggerFactory();
        await using Served server = await Served.StartAsync(pki, "server", logs);

        await using RawTlsClient client = await RawTlsClient.ConnectAsync(server.EndPoint, pki.Issue("mallory"));
        await client.SendHelloAsync("alice");
        (FrameHeader header, byte[] payload) = await client.ReadFrameAsync();
        Assert.Equal(FrameKind.Error, header.Kind);
        Assert.Equal(0u, header.CorrelationId);
        Assert.Equal((ushort)ErrorCode.ProtocolViolation, (ushort)(payload[0] << 8 | payload[1]));
        Assert.Contains("'mallory'", Encoding.UTF8.GetString(payload, 2, payload.Length - 2), StringComparison.Ordinal);
        var rest = new byte[16];
        Assert.Equal(0, await client.Tls.ReadAsync(rest)); // close_notify, then the close: nothing after the ERROR
        await Eventually.TrueAsync(() => logs.Has(110, "'alice'"), "the refusal logged with the id the HELLO claimed");
    }

    [Fact]
    public async Task A_dialled_peer_whose_hello_its_certificate_does_not_name_is_closed_without_a_frame()
    {
        var pki = new TestPki();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var logs = new RecordingLoggerFactory();
        await using var client = new PeerNode(new PeerNodeOptions { Discover = false, Listen = false, Tls = pki.Options(pki.Issue("client")) }, loggerFactory: logs);
        await client.StartAsync();
        var address = PeerAddress.FromEndPoint((IPEndPoint)listener.LocalEndpoint);
        Task<PooledPayload> request = client.RequestAsync(address, "x"u8.ToArray()).AsTask();

        // A liar: its certificate names "honest", its HELLO says "liar".
        using Socket accepted = await listener.AcceptSocketAsync();
        await using var tls = new SslStream(new NetworkStream(accepted));
        await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = pki.Issue("honest"),
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls13,
#pragma warning disable CA5359 // the lying peer takes any client: only the node's verdict is under test
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
#pragma warning restore CA5359
        });
        var hello = new byte[WireProtocol.HeaderSize + HelloPayload.GetLength("client", WireProtocol.Version2)];
        await tls.ReadExactlyAsync(hello);
        await tls.WriteAsync(FrameBytes.Written(w => FrameWriter.WriteHello(w, "liar", WireProtocol.Version2, WireProtocol.DefaultMaxPayloadLength)));

        var refused = await Assert.ThrowsAnyAsync<PeerException>(() => request);
        Assert.Contains("'liar'", Flatten(refused), StringComparison.Ordinal);
        Assert.Contains("'honest'", Flatten(refused), StringComparison.Ordinal);
        int read;
        try
        {
            read = await tls.ReadAsync(new byte[16]);
        }
        catch (IOException)
        {
            read = 0;
        }

        Assert.Equal(0, read); // no frame after its HELLO
        await Eventually.TrueAsync(() => logs.Has(111), "the refusal logged");
    }

    [Fact]
    public async Task A_node_dialled_by_id_must_be_that_id_even_with_a_valid_certificate()
    {
        var pki = new TestPki();
        await using var cluster = new NodeCluster();
        PeerNode victim = await cluster.StartAsync("victim", o => { o.Tls = pki.Options(pki.Issue("victim")); o.PreferUnixSockets = false; });
        PeerNode impostor = await cluster.StartAsync("impostor", o => { o.Tls = pki.Options(pki.Issue("impostor")); o.PreferUnixSockets = false; });

        // A poisoned registry entry: victim's record points at the impostor's port.
        using var registry = new PeerRegistry(cluster.RegistryOptions());
        await using var client = new PeerNode(
            new PeerNodeOptions { Listen = false, NodeId = "client", Tls = pki.Options(pki.Issue("client")), Registry = cluster.RegistryOptions(), PreferUnixSockets = false },
            new RedirectingDiscovery(registry, new Dictionary<string, int> { ["victim"] = impostor.TcpEndPoint!.Port }));
        await client.StartAsync();
        await Eventually.TrueAsync(() => client.Peers.Any(p => p.Id == victim.Id), "the client sees the victim's record");

        var refused = await Assert.ThrowsAnyAsync<PeerException>(() => client.RequestAsync("victim", "x"u8.ToArray()).AsTask());
        Assert.Contains("'impostor'", Flatten(refused), StringComparison.Ordinal);
    }

    [Fact]
    public void Options_name_what_is_missing()
    {
        Assert.Contains("CertificatePath", Assert.Throws<ArgumentException>(() => new PeerTlsOptions { CertificateAuthorityPath = "ca.crt" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("go together", Assert.Throws<ArgumentException>(() => new PeerTlsOptions { CertificatePath = "a.crt", CertificateAuthorityPath = "ca.crt" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("trust", Assert.Throws<ArgumentException>(() => new PeerTlsOptions { CertificatePath = "a.crt", KeyPath = "a.key" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("MaxPendingHandshakes", Assert.Throws<ArgumentException>(() => new PeerTlsOptions { CertificatePath = "a", KeyPath = "b", CertificateAuthorityPath = "c", MaxPendingHandshakes = 0 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Equal(256, new PeerTlsOptions().MaxPendingHandshakes);
    }

    internal static string Flatten(Exception e)
    {
        var text = new StringBuilder();
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            text.Append(x.Message).Append(" | ");
        }

        return text.ToString();
    }

    private static async Task<byte[]> ReadUntilClosedAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var received = new List<byte>();
        var buffer = new byte[1024];
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (n == 0)
                {
                    break;
                }

                received.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (SocketException)
        {
        }

        return [.. received];
    }

    /// <summary>A TLS node that answers "server:{payload}", reached by address.</summary>
    private sealed class Served : IAsyncDisposable
    {
        private Served(PeerNode node) => Node = node;

        public PeerNode Node { get; }

        public EndPoint EndPoint => Node.TcpEndPoint!;

        public PeerAddress Address => PeerAddress.FromEndPoint(Node.TcpEndPoint!);

        internal PeerEngine.Transport.Tls.TlsMiddleware Middleware => (PeerEngine.Transport.Tls.TlsMiddleware)Node.Middleware[0];

        public static async Task<Served> StartAsync(TestPki pki, string id, RecordingLoggerFactory logs, Action<PeerNodeOptions>? configure = null)
        {
            var options = new PeerNodeOptions { Discover = false, Tls = pki.Options(pki.Issue(id)) };
            configure?.Invoke(options);
            var node = new PeerNode(options, loggerFactory: logs) { RequestHandler = NodeCluster.Answering("server") };
            await node.StartAsync();
            return new Served(node);
        }

        /// <summary>A proper peer still gets served: refusals cost their own connection only.</summary>
        public async Task StillServesAsync(TestPki pki)
        {
            await using var client = new PeerNode(new PeerNodeOptions { Discover = false, Listen = false, Tls = pki.Options(pki.Issue("proper")) });
            await client.StartAsync();
            using PooledPayload answer = await client.RequestAsync(Address, "ok"u8.ToArray());
            Assert.Equal("server:ok", Text(answer));
        }

        public ValueTask DisposeAsync() => Node.DisposeAsync();
    }
}
