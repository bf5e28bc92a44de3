using System.Net;

namespace PeerEngine.Benchmarks.EndToEnd.Servers;

/// <summary>An echo server of one stack: HELLO answered with HELLO, every REQUEST with a RESPONSE carrying its payload.</summary>
internal interface IEchoServer : IAsyncDisposable
{
    /// <summary>The bound endpoint (the real port when port 0 was asked for).</summary>
    EndPoint EndPoint { get; }
}
