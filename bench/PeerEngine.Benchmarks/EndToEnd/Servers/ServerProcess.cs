using System.Globalization;
using System.Net;

namespace PeerEngine.Benchmarks.EndToEnd.Servers;

/// <summary>
/// <c>e2e serve STACK</c>: runs one stack's echo server in this process, prints
/// <c>READY tcp=HOST:PORT [unix=PATH]</c>, then answers the runner on standard input:
/// <c>alloc</c> prints <c>ALLOC N cpu=µS</c> (bytes this process has allocated so far, and its CPU time), <c>memory</c> prints <c>MEMORY rss=KIB managed=BYTES jit=METHODS</c> after a full collection, <c>types</c> prints the types allocated most (with E2E_ALLOCATION_TYPES=1), <c>exit</c> or the end
/// of input stops it.
/// </summary>
internal static class ServerProcess
{
    public static async Task<int> RunAsync(string stack)
    {
        var loopback = new IPEndPoint(IPAddress.Loopback, 0);
        var servers = new List<IEchoServer>();
        string? unixPath = null;
        switch (stack)
        {
            case "plain":
                servers.Add(new PlainSocketServer(loopback));
                break;
            case "kestrel":
                servers.Add(await KestrelServer.StartAsync(loopback).ConfigureAwait(false));
                break;
            case "dotnetty":
                servers.Add(await DotNettyServer.StartAsync(loopback).ConfigureAwait(false));
                break;
            case "peerengine":
            case "peerengine-lowlat":
                // The low-latency mode differs only in the runtime settings the runner gives the process.
                unixPath = Path.Combine(Path.GetTempPath(), $"peerengine-e2e-{Environment.ProcessId}.sock");
                servers.Add(await PeerEngineServer.StartAsync(unixPath).ConfigureAwait(false));
                break;
            case "peerengine-tls":
                string tlsSocket = Path.Combine(Path.GetTempPath(), $"peerengine-e2e-{Environment.ProcessId}.sock");
                servers.Add(await PeerEngineServer.StartAsync(tlsSocket, TlsFiles.Node(TlsFiles.Folder, TlsFiles.ServerId)).ConfigureAwait(false));
                break;
            default:
                await Console.Error.WriteLineAsync($"unknown stack '{stack}': plain, kestrel, dotnetty, peerengine, peerengine-lowlat, peerengine-tls").ConfigureAwait(false);
                return 2;
        }

        using AllocationSampler? sampler = Environment.GetEnvironmentVariable("E2E_ALLOCATION_TYPES") == "1" ? new AllocationSampler() : null;
        try
        {
            Console.WriteLine(FormattableString.Invariant($"READY tcp={servers[0].EndPoint}") + (unixPath is null ? string.Empty : $" unix={unixPath}"));
            while (Console.ReadLine() is { } command && command != "exit")
            {
                if (command == "alloc")
                {
                    Console.WriteLine(FormattableString.Invariant($"ALLOC {GC.GetTotalAllocatedBytes(precise: true)} cpu={Environment.CpuUsage.TotalTime.Ticks / 10}"));
                }
                else if (command == "memory")
                {
                    Console.WriteLine(ProcessMemory.Measure());
                }
                else if (command == "types")
                {
                    Console.WriteLine("TYPES " + (sampler?.Top(10) ?? "(set E2E_ALLOCATION_TYPES=1)"));
                }
            }
        }
        finally
        {
            foreach (IEchoServer server in servers)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }

        return 0;
    }
}
