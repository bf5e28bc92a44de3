using PeerEngine.Benchmarks.EndToEnd.Client;
using PeerEngine.Benchmarks.EndToEnd.Runner;
using PeerEngine.Benchmarks.EndToEnd.Servers;

namespace PeerEngine.Benchmarks.EndToEnd;

/// <summary>
/// <c>e2e run ...</c> (the runner), <c>e2e idle ...</c> (what idle connections cost), <c>e2e serve STACK</c> and <c>e2e client</c> (the processes it
/// starts): PeerEngine against a plain socket, Kestrel and DotNetty, end to end, process to process.
/// </summary>
internal static class EndToEndCommand
{
    public static async Task<int> RunAsync(string[] arguments) => arguments switch
    {
        ["run", .. var rest] => EndToEndRunner.Run(rest),
        ["idle", .. var rest] => IdleConnectionsRunner.Run(rest),
        ["serve", string stack] => await ServerProcess.RunAsync(stack).ConfigureAwait(false),
        ["client"] => await ClientProcess.RunAsync().ConfigureAwait(false),
        _ => Usage(),
    };

    private static int Usage()
    {
        Console.Error.WriteLine("usage: " + RunnerOptions.Usage);
        Console.Error.WriteLine("       " + IdleConnectionsRunner.Usage);
        return 2;
    }
}
