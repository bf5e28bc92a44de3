using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using PeerEngine.Benchmarks.EndToEnd;

namespace PeerEngine.Benchmarks;

/// <summary>
/// What a new mutual-TLS connection costs: TCP connect, the TLS 1.3 handshake with a certificate each
/// way and both chains verified, the HELLO exchange, and the close, against a <see cref="PeerNode"/>
/// with TLS in this process. Full: no session reused. Resumed: the client offers the session of its
/// previous connection. Both sides run in this process, so on one core (<c>taskset -c 0</c>) the rate
/// is handshakes per second of one core doing both sides' work.
/// </summary>
[Config(typeof(BenchmarkConfig))]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class TlsHandshakeBenchmarks
{
    private static readonly byte[] HelloFrame = EchoWire.Hello(TlsFiles.ClientId);

    private readonly byte[] _answer = new byte[EchoWire.HeaderSize + 64];
    private string _folder = null!;
    private PeerNode _server = null!;
    private EndPoint _endPoint = null!;
    private SslClientAuthenticationOptions _full = null!;
    private SslClientAuthenticationOptions _resumable = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _folder = TlsFiles.Create();
        _server = new PeerNode(new PeerNodeOptions { NodeId = TlsFiles.ServerId, Discover = false, Tls = TlsFiles.Node(_folder, TlsFiles.ServerId) });
        await _server.StartAsync();
        _endPoint = _server.TcpEndPoint!;
        _full = TlsFiles.Client(_folder, allowResume: false);
        _resumable = TlsFiles.Client(_folder, allowResume: true);
        await ConnectAsync(_resumable);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "full handshake")]
    public Task Full() => ConnectAsync(_full);

    [Benchmark(Description = "resumption offered")]
    public Task Resumed() => ConnectAsync(_resumable);

    private async Task ConnectAsync(SslClientAuthenticationOptions options)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(_endPoint);
        await using var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await tls.AuthenticateAsClientAsync(options);
        await tls.WriteAsync(HelloFrame);
        await tls.ReadExactlyAsync(_answer.AsMemory(0, EchoWire.HeaderSize));
        await tls.ReadExactlyAsync(_answer.AsMemory(EchoWire.HeaderSize, EchoWire.PayloadLength(_answer)));
    }
}
