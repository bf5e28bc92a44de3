using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PeerEngine;

/// <summary>
/// A service that hosts a node through DI, as an application would, in a process of its own (no
/// other test's meters): prints one line per instrument of the <c>PeerEngine</c> meter that a
/// <see cref="MeterListener"/> sees, with whether its meter came from the host's IMeterFactory.
/// </summary>
internal static class MetricsUnderDi
{
    public static async Task<int> RunAsync(string registryPath)
    {
        var seen = new List<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == PeerEngineMetrics.MeterName)
                {
                    lock (seen)
                    {
                        seen.Add($"{instrument.Name} {(instrument.Meter.Scope is IMeterFactory ? "factory" : "unscoped")}");
                    }
                }
            },
        };
        listener.Start();

        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Logging.ClearProviders(); // stdout carries the instruments alone
        builder.Services.AddPeerEngine(o =>
        {
            o.NodeId = "metered";
            o.Registry.Path = registryPath;
        });
        using IHost host = builder.Build();
        await host.StartAsync();
        await host.StopAsync();
        lock (seen)
        {
            foreach (string line in seen)
            {
                Console.Out.WriteLine(line);
            }
        }

        return 0;
    }
}
