using System.Net;

namespace PeerEngine.Transport;

/// <summary>Opens outgoing transport connections.</summary>
internal interface IConnectionConnector
{
    /// <summary>Connects to <paramref name="endPoint"/>.</summary>
    ValueTask<TransportConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default);
}
