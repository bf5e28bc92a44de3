using System.Buffers;
using System.CommandLine;
using System.Diagnostics;
using System.Text;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Node;
using PeerEngine.Registry;

namespace PeerEngine.Host.Commands;

/// <summary>
/// <c>peerengine demo</c>: the original story, for real. Two peers publish their address to a shared
/// registry, a third discovers them there and sends each a request over its own connection.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Three peers on loopback: two publish, a third discovers them and sends each a request.");
        command.SetAction(async (_, cancellationToken) => await RunAsync(cancellationToken));
        return command;
    }

    private static RequestHandler Greeter(string name) => (request, _) =>
    {
        request.Response.Write(Encoding.UTF8.GetBytes($"{name} says hi back to '{Encoding.UTF8.GetString(request.Payload.Span)}'"));
        return ValueTask.CompletedTask;
    };

    private static async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        DirectoryInfo folder = Directory.CreateTempSubdirectory("peerengine-demo-");
        string registryPath = Path.Combine(folder.FullName, "registry.bin");
        var registry = new PeerRegistryOptions { Path = registryPath, WatchInterval = TimeSpan.FromMilliseconds(50) };
        var nodes = new List<PeerNode>();
        try
        {
            Say($"PeerEngine demo: three peers on this machine sharing one registry file ({registryPath}).");
            Say("Each peer is a client and a server at once; the registry is how they find each other.");
            Say("");
            foreach (string name in new[] { "alpha", "beta" })
            {
                var peer = new PeerNode(new PeerNodeOptions { NodeId = name, Registry = registry }) { RequestHandler = Greeter(name) };
                nodes.Add(peer);
                await peer.StartAsync(cancellationToken);
                Say($"1. peer {name} listens on {Endpoints.Format(peer.TcpEndPoint!)} and publishes that address to the registry.");
            }

            var gamma = new PeerNode(new PeerNodeOptions { NodeId = "gamma", Registry = registry });
            nodes.Add(gamma);
            var seesBoth = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            gamma.PeerJoined += (_, _) =>
            {
                if (gamma.Peers.Count(p => p.Id is "alpha" or "beta") == 2)
                {
                    seesBoth.TrySetResult();
                }
            };
            await gamma.StartAsync(cancellationToken);
            Say($"2. peer gamma starts on {Endpoints.Format(gamma.TcpEndPoint!)} and reads the registry...");
            await seesBoth.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);

            foreach (PeerRecord found in gamma.Peers.OrderBy(p => p.Id, StringComparer.Ordinal))
            {
                Say($"   found {found.Id} at {Endpoints.Format(found)} (process {found.ProcessId}).");
            }

            Say("3. gamma opens a connection to each and sends a request:");
            foreach (string target in new[] { "alpha", "beta" })
            {
                var clock = Stopwatch.StartNew();
                using PooledPayload first = await gamma.RequestAsync(target, Encoding.UTF8.GetBytes($"hello {target}"), cancellationToken: cancellationToken);
                TimeSpan firstTrip = clock.Elapsed;
                clock.Restart();
                using PooledPayload second = await gamma.RequestAsync(target, Encoding.UTF8.GetBytes($"hello again {target}"), cancellationToken: cancellationToken);
                TimeSpan secondTrip = clock.Elapsed;
                Say($"   gamma -> {target}: \"{Encoding.UTF8.GetString(first.Span)}\" in {Milliseconds(firstTrip)} (connect included);");
                Say($"   gamma -> {target} again, on the same connection: \"{Encoding.UTF8.GetString(second.Span)}\" in {Milliseconds(secondTrip)}.");
            }

            Say("4. the peers stop gracefully (GOODBYE, drain, unpublish) and the registry is removed.");
            return ExitCodes.Success;
        }
        finally
        {
            foreach (PeerNode node in Enumerable.Reverse(nodes))
            {
                await node.StopAsync(CancellationToken.None);
                await node.DisposeAsync();
            }

            folder.Delete(recursive: true);
        }
    }

    private static string Milliseconds(TimeSpan elapsed) => $"{elapsed.TotalMilliseconds:0.000} ms";

    private static void Say(string line) => Console.Out.WriteLine(line);
}
