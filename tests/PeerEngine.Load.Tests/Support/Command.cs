using PeerEngine.Load.Cli;
using Spectre.Console;

namespace PeerEngine.Load.Tests.Support;

/// <summary>Runs the command line as the program does, with its console and live output captured in <c>output</c>.</summary>
internal static class Command
{
    public static Task<int> RunAsync(TextWriter output, TextWriter error, params string[] args)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });
        return LoadCommand.InvokeAsync(args, console, output, error).WaitAsync(TimeSpan.FromSeconds(60));
    }
}
