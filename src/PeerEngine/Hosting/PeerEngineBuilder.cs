using Microsoft.Extensions.DependencyInjection;

namespace PeerEngine.Hosting;

internal sealed class PeerEngineBuilder(IServiceCollection services) : IPeerEngineBuilder
{
    public IServiceCollection Services { get; } = services;
}
