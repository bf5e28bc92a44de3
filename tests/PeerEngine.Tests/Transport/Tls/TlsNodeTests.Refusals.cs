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

/// <summary>TLS on a node: what a listener refuses before the protocol starts, and what it trusts.</summary>
public sealed partial class TlsNodeTests
{
    [Theory]
    [InlineData("hello")] // a plain-text HELLO
    [InlineData("random")]
    [InlineData("16 03 01 00 00")] // an empty TLS record
    public async Task Bytes_that_cannot_start_tls_get_no_protocol_byte_and_are_closed_within_the_handshake_timeout(string what)
    {
        var pki = new TestPki();
        var logs = new RecordingLoggerFactory();
        await using Served server = await Served.StartAsync(pki, "server", logs, o => o.Connections.HandshakeTimeout = Short);
        byte[] bytes = what switch
        {
            "hello" => FrameBytes.Written(w => FrameWriter.WriteHello(w, "plain")),
            "random" => System.Security.Cryptography.RandomNumberGenerator.GetBytes(300),
            _ => FrameBytes.Hex(what),
        };

        await using RawPeer raw = await RawPeer.ConnectAsync(server.EndPoint);
        var clock = Stopwatch.StartNew();
        await raw.SendAsync(bytes);
        byte[] received = await ReadUntilClosedAsync(raw.Socket);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, Short + TimeSpan.FromSeconds(2));

        // At most a TLS alert record (content type 21): never a frame in plain text.
        Assert.True(received.Length == 0 || received[0] == 21, $"received {Convert.ToHexString(received)}");
        await Eventually.TrueAsync(() => logs.Has(110), "a refusal logged");
        Assert.DoesNotContain(logs.Events, e => e.Exception is not null);
        await server.StillServesAsync(pki);
    }

    [Fact]
    public async Task A_handshake_that_trickles_in_is_closed_at_the_handshake_timeout()
    {
        var pki = new TestPki();
        var logs = new RecordingLoggerFactory();
        await using Served server = await Served.StartAsync(pki, "server", logs, o => o.Connections.HandshakeTimeout = Short);

        await using RawPeer raw = await RawPeer.ConnectAsync(server.EndPoint);
        var clock = Stopwatch.StartNew();
        byte[] record = FrameBytes.Hex("16 03 01 02 00"); // a handshake record of 512 bytes, sent a byte at a time
        await raw.SendAsync(record);
        Task<byte[]> closed = ReadUntilClosedAsync(raw.Socket);
        while (!closed.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            try
            {
                await raw.SendAsync([0x01]);
            }
            catch (SocketException)
            {
                break;
            }

            await Task.WhenAny(closed, Task.Delay(100));
        }

        await closed;
        Assert.InRange(clock.Elapsed, Short - TimeSpan.FromMilliseconds(100), Short + TimeSpan.FromSeconds(2));
        Assert.True(logs.Has(110, "handshake timeout"), logs.Dump());
    }

    [Fact]
    public async Task Connections_beyond_the_handshaking_cap_are_closed_at_once_while_the_others_wait()
    {
        var pki = new TestPki();
        var logs = new RecordingLoggerFactory();
        await using Served server = await Served.StartAsync(pki, "server", logs, o =>
        {
            o.Connections.HandshakeTimeout = TimeSpan.FromSeconds(30);
            o.Tls!.MaxPendingHandshakes = 3;
        });

        var silent = new List<RawPeer>();
        for (int i = 0; i < 3; i++)
        {
            silent.Add(await RawPeer.ConnectAsync(server.EndPoint));
        }

        await Eventually.TrueAsync(() => server.Middleware.PendingHandshakes == 3, "three connections handshaking");
        var clock = Stopwatch.StartNew();
        try
        {
            await using RawPeer fourth = await RawPeer.ConnectAsync(server.EndPoint);
            await ReadUntilClosedAsync(fourth.Socket);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed before the connect returned: closed all the same.
        }

        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.True(logs.Has(110, "option MaxPendingHandshakes"), logs.Dump());
        Assert.Equal(3, server.Middleware.PendingHandshakes);

        // One of the waiting ones goes: the next handshake is served.
        await silent[0].DisposeAsync();
        await Eventually.TrueAsync(() => server.Middleware.PendingHandshakes == 2, "the closed one left the count");
        await server.StillServesAsync(pki);
        foreach (RawPeer peer in silent.Skip(1))
        {
            await peer.DisposeAsync();
        }
    }

    [Fact]
    public async Task The_authorisation_hook_refuses_a_peer_with_error_1()
    {
        var pki = new TestPki();
        var logs = new RecordingLoggerFactory();
        await using Served server = await Served.StartAsync(pki, "server", logs, o => o.Tls!.AuthorizePeer = id => id != "banned");

        await using RawTlsClient banned = await RawTlsClient.ConnectAsync(server.EndPoint, pki.Issue("banned"));
        await banned.SendHelloAsync("banned");
        (FrameHeader header, byte[] payload) = await banned.ReadFrameAsync();
        Assert.Equal(FrameKind.Error, header.Kind);
        Assert.Equal((ushort)ErrorCode.ProtocolViolation, (ushort)(payload[0] << 8 | payload[1]));
        await server.StillServesAsync(pki);
    }

    [Fact]
    public async Task Pinned_certificates_trust_exactly_those_peers()
    {
        var pki = new TestPki();
        X509Certificate2 serverCertificate = pki.Issue("pinned-server");
        X509Certificate2 clientCertificate = pki.Issue("pinned-client");
        var serverOptions = new PeerTlsOptions { Certificate = serverCertificate };
        serverOptions.PinnedCertificates.Add(clientCertificate);
        var clientOptions = new PeerTlsOptions { Certificate = clientCertificate };
        clientOptions.PinnedCertificates.Add(serverCertificate);
        await using var server = new PeerNode(new PeerNodeOptions { Discover = false, Tls = serverOptions }) { RequestHandler = NodeCluster.Answering("pinned-server") };
        await server.StartAsync();
        await using var client = new PeerNode(new PeerNodeOptions { Discover = false, Listen = false, Tls = clientOptions });
        await client.StartAsync();
        var address = PeerAddress.FromEndPoint(server.TcpEndPoint!);
        using (PooledPayload answer = await client.RequestAsync(address, "p"u8.ToArray()))
        {
            Assert.Equal("pinned-server:p", Text(answer));
        }

        // Same CA, not pinned: refused.
        var otherOptions = new PeerTlsOptions { Certificate = pki.Issue("other") };
        otherOptions.PinnedCertificates.Add(serverCertificate);
        await using var other = new PeerNode(new PeerNodeOptions { Discover = false, Listen = false, Tls = otherOptions });
        await other.StartAsync();
        await Assert.ThrowsAnyAsync<PeerException>(() => other.RequestAsync(address, "p"u8.ToArray()).AsTask());
    }

    [Fact]
    public async Task Repeated_connections_from_one_client_are_each_authenticated()
    {
        // Resumed TLS 1.3 sessions must not lose the client's certificate (and so its identity).
        var pki = new TestPki();
        var logs = new RecordingLoggerFactory();
        await using Served server = await Served.StartAsync(pki, "server", logs);
        X509Certificate2 certificate = pki.Issue("again");
        for (int i = 0; i < 5; i++)
        {
            await using var client = new PeerNode(new PeerNodeOptions { Discover = false, Listen = false, Tls = pki.Options(certificate) });
            await client.StartAsync();
            using PooledPayload answer = await client.RequestAsync(server.Address, "r"u8.ToArray());
            Assert.Equal("server:r", Text(answer));
        }

        Assert.False(logs.Has(110), logs.Dump());
    }

    [Fact]
    public async Task A_renewed_certificate_on_disk_is_used_for_new_connections_without_a_restart()
    {
        var pki = new TestPki();
        string folder = Directory.CreateTempSubdirectory("pe-tls-").FullName;
        try
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            (string certificatePath, string keyPath) = TestPki.WritePem(pki.Issue(["rotating"], notAfter: now.AddDays(2)), folder, "node");
            string caPath = Path.Combine(folder, "ca.crt");
            File.WriteAllText(caPath, pki.Ca.ExportCertificatePem());
            var logs = new RecordingLoggerFactory();
            var options = new PeerNodeOptions
            {
                Discover = false,
                Tls = new PeerTlsOptions { CertificatePath = certificatePath, KeyPath = keyPath, CertificateAuthorityPath = caPath, ReloadInterval = TimeSpan.FromMilliseconds(50) },
            };
            await using var server = new PeerNode(options, loggerFactory: logs) { RequestHandler = NodeCluster.Answering("rotating") };
            await server.StartAsync();
            var address = PeerAddress.FromEndPoint(server.TcpEndPoint!);

            async Task<DateTime> ServerCertificateExpiryAsync()
            {
                await using RawTlsClient client = await RawTlsClient.ConnectAsync(server.TcpEndPoint!, pki.Issue("observer"));
                return ((X509Certificate2)client.Tls.RemoteCertificate!).NotAfter.ToUniversalTime();
            }

            Assert.True(await ServerCertificateExpiryAsync() < now.AddDays(3).UtcDateTime);
            TestPki.WritePem(pki.Issue(["rotating"], notAfter: now.AddDays(90)), folder, "node");
            await Task.Delay(100);
            Assert.True(await ServerCertificateExpiryAsync() > now.AddDays(60).UtcDateTime);
            Assert.True(logs.Has(112, "'rotating'"), logs.Dump());

            // Nodes still reach it over the renewed certificate.
            await using var client = new PeerNode(new PeerNodeOptions { Discover = false, Listen = false, Tls = pki.Options(pki.Issue("client")) });
            await client.StartAsync();
            using PooledPayload answer = await client.RequestAsync(address, "r"u8.ToArray());
            Assert.Equal("rotating:r", Text(answer));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
