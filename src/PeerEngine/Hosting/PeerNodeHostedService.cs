using Microsoft.Extensions.Hosting;
using PeerEngine.Node;

namespace PeerEngine.Hosting;

/// <summary>Starts the node with the host and stops it gracefully (GOODBYE, drain, unpublish) with it.</summary>
internal sealed class PeerNodeHostedService(PeerNode node) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => node.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => node.StopAsync(cancellationToken);
}
