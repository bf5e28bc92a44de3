using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PeerEngine.Diagnostics;
using PeerEngine.Hosting;

namespace PeerEngine;

/// <summary>Registers a <see cref="PeerNode"/> that runs as a hosted service.</summary>
public static class PeerEngineServiceCollectionExtensions
{
    /// <summary>
    /// Adds a <see cref="PeerNode"/> singleton, started and stopped with the host, its options
    /// validated when the host starts. Handlers: <see cref="HandleRequests(IPeerEngineBuilder, RequestHandler)"/>
    /// and friends on the returned builder.
    /// </summary>
    /// <example><code>
    /// builder.Services.AddPeerEngine(o => o.NodeId = "orders")
    ///     .HandleRequests((request, ct) => { request.Response.Write(request.Payload.Span); return ValueTask.CompletedTask; });
    /// </code></example>
    public static IPeerEngineBuilder AddPeerEngine(this IServiceCollection services, Action<PeerNodeOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<PeerNodeOptions> options = services.AddOptions<PeerNodeOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PeerNodeOptions>, PeerNodeOptionsValidator>());
        services.TryAddSingleton(static provider => new PeerEngineMetrics(provider.GetService<IMeterFactory>()));
        services.TryAddSingleton(static provider => new PeerNode(
            provider.GetRequiredService<IOptions<PeerNodeOptions>>().Value,
            provider.GetService<IPeerDiscovery>(),
            provider.GetService<ILoggerFactory>(),
            provider.GetService<TimeProvider>(),
            provider.GetRequiredService<PeerEngineMetrics>())
        {
            RequestHandler = provider.GetService<RequestHandler>(),
            MessageHandler = provider.GetService<MessageHandler>(),
        });
        services.AddHostedService<PeerNodeHostedService>();
        return new PeerEngineBuilder(services);
    }

    /// <summary>Answers REQUESTs with <paramref name="handler"/>.</summary>
    public static IPeerEngineBuilder HandleRequests(this IPeerEngineBuilder builder, RequestHandler handler)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(handler);
        return builder;
    }

    /// <summary>Answers REQUESTs with a <typeparamref name="THandler"/> resolved from the container.</summary>
    public static IPeerEngineBuilder HandleRequests<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IPeerEngineBuilder builder)
        where THandler : class, IPeerRequestHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<THandler>();
        builder.Services.AddSingleton<RequestHandler>(static provider => provider.GetRequiredService<THandler>().HandleAsync);
        return builder;
    }

    /// <summary>Receives MESSAGEs with <paramref name="handler"/>.</summary>
    public static IPeerEngineBuilder HandleMessages(this IPeerEngineBuilder builder, MessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(handler);
        return builder;
    }

    /// <summary>Receives MESSAGEs with a <typeparamref name="THandler"/> resolved from the container.</summary>
    public static IPeerEngineBuilder HandleMessages<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] THandler>(this IPeerEngineBuilder builder)
        where THandler : class, IPeerMessageHandler
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<THandler>();
        builder.Services.AddSingleton<MessageHandler>(static provider => provider.GetRequiredService<THandler>().HandleAsync);
        return builder;
    }
}
