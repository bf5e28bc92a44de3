using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using PeerEngine.Benchmarks.EndToEnd;

namespace PeerEngine.Benchmarks;

/// <summary>
/// What a new mutual-TLS connection costs: TCP connect, the TLS 1.3 handshake with a certificate each
/// way and both chains verified, the HELLO exchange, and the close, against a <see cref="PeerNode"/>
/// with TLS in this process. Full: no session reused. Resumed: the client offers the session of its
/// previous connection. Both sides run in this process, so on one core (<c>taskset -c 0</c>) the rate
/// is handshakes per second of one core doing both sides' work. Two parts of it are measured alone,
/// to say where the time goes: verifying one peer's chain against the CA (each side does it once),
/// and one ECDSA P-256 signature with its verification (each side signs its CertificateVerify).
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
    private X509Certificate2 _clientCertificate = null!;
    private X509ChainPolicy _chainPolicy = null!;
    private ECDsa _key = null!;
    private readonly byte[] _transcript = new byte[48];

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
        _clientCertificate = X509Certificate2.CreateFromPemFile(
            Path.Combine(_folder, TlsFiles.ClientId + ".crt"), Path.Combine(_folder, TlsFiles.ClientId + ".key"));
        _chainPolicy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        _chainPolicy.CustomTrustStore.Add(X509CertificateLoader.LoadCertificateFromFile(Path.Combine(_folder, "ca.crt")));
        _key = _clientCertificate.GetECDsaPrivateKey()!;
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _key.Dispose();
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "full handshake")]
    public Task Full() => ConnectAsync(_full);

    [Benchmark(Description = "resumption offered")]
    public Task Resumed() => ConnectAsync(_resumable);

    [Benchmark(Description = "one chain verified")]
    public bool VerifyChain()
    {
        using var chain = new X509Chain { ChainPolicy = _chainPolicy };
        return chain.Build(_clientCertificate);
    }

    [Benchmark(Description = "one ECDSA P-256 sign + verify")]
    public bool SignAndVerify() => _key.VerifyHash(_transcript, _key.SignHash(_transcript));

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
