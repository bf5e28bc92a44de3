using PeerEngine.Load.Cli;

namespace PeerEngine.Load.Tests.Support;

/// <summary>Runs the command line as the program does, with its console and live output captured in <c>output</c>.</summary>
internal static class Command
{
    public static Task<int> RunAsync(TextWriter output, TextWriter error, params string[] args)
    {
        return LoadCommand.InvokeAsync(args, Consoles.Create(output), output, error).WaitAsync(TimeSpan.FromSeconds(60));
    }
}
