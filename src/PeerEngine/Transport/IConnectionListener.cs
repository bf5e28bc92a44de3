using System.Net;

namespace PeerEngine.Transport;

/// <summary>Accepts incoming transport connections on one bound endpoint.</summary>
internal interface IConnectionListener : IAsyncDisposable
{
    /// <summary>The endpoint actually bound (with the real port when port 0 was asked for).</summary>
    EndPoint EndPoint { get; }

    /// <summary>The next incoming connection, or <c>null</c> once the listener is disposed.</summary>
    ValueTask<TransportConnection?> AcceptAsync(CancellationToken cancellationToken = default);
}
