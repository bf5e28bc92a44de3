using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using PeerEngine.Framing;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Transport.Tls;

/// <summary>A TLS client that is not a node: it presents whatever certificate a test gives it (or none) and speaks raw frames.</summary>
internal sealed class RawTlsClient : IAsyncDisposable
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;

    private RawTlsClient(Socket socket, SslStream tls)
    {
        _socket = socket;
        Tls = tls;
    }

    public SslStream Tls { get; }

    /// <summary>Connects and runs the TLS handshake; the server's certificate is not checked.</summary>
    /// <exception cref="AuthenticationException">The server refused during the handshake.</exception>
    public static async Task<RawTlsClient> ConnectAsync(EndPoint endPoint, X509Certificate2? certificate)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = string.Empty,
            EnabledSslProtocols = SslProtocols.Tls13,
#pragma warning disable CA5359 // a test peer that is not a node: what the node sends it is not its concern
            RemoteCertificateValidationCallback = (_, _, _, _) => true,
#pragma warning restore CA5359
            ClientCertificates = certificate is null ? null : [certificate],
            LocalCertificateSelectionCallback = certificate is null ? null : (_, _, _, _, _) => certificate,
        };
        using var timeout = new CancellationTokenSource(DefaultWait);
        try
        {
            await tls.AuthenticateAsClientAsync(options, timeout.Token);
        }
        catch
        {
            await tls.DisposeAsync();
            socket.Dispose();
            throw;
        }

        return new RawTlsClient(socket, tls);
    }

    public async Task SendHelloAsync(string nodeId)
    {
        await Tls.WriteAsync(FrameBytes.Written(w => FrameWriter.WriteHello(w, nodeId)));
        await Tls.FlushAsync();
    }

    /// <summary>Reads one frame inside TLS.</summary>
    public async Task<(FrameHeader Header, byte[] Payload)> ReadFrameAsync()
    {
        using var timeout = new CancellationTokenSource(DefaultWait);
        byte[] header = new byte[WireProtocol.HeaderSize];
        await Tls.ReadExactlyAsync(header, timeout.Token);
        FrameHeader parsed = FrameHeader.Read(header);
        byte[] payload = new byte[parsed.PayloadLength];
        await Tls.ReadExactlyAsync(payload, timeout.Token);
        return (parsed, payload);
    }

    /// <summary>Sends a HELLO and expects the node to end the connection without a single protocol byte.</summary>
    public async Task ExpectRefusedAsync(string helloId)
    {
        using var timeout = new CancellationTokenSource(DefaultWait);
        try
        {
            await SendHelloAsync(helloId);
            var buffer = new byte[64];
            int read = await Tls.ReadAsync(buffer, timeout.Token);
            Assert.True(read == 0, $"the node sent {read} protocol bytes to a peer it should have refused");
        }
        catch (Exception e) when (e is IOException or AuthenticationException)
        {
            // The TLS alert, or the close after it: refused all the same.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Tls.DisposeAsync();
        _socket.Dispose();
    }
}
