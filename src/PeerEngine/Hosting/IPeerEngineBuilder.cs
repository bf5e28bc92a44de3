using Microsoft.Extensions.DependencyInjection;

namespace PeerEngine;

/// <summary>Returned by <c>AddPeerEngine</c>, to go on configuring the node (its handlers).</summary>
public interface IPeerEngineBuilder
{
    /// <summary>The services the node is registered in.</summary>
    IServiceCollection Services { get; }
}
