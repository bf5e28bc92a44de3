using Spectre.Console;

namespace PeerEngine.Load.Tests.Support;

/// <summary>Spectre consoles that write into a test's writer: plain text, or as a terminal would get it.</summary>
internal static class Consoles
{
    public static IAnsiConsole Create(TextWriter output, bool terminal = false)
    {
        IAnsiConsole console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(output),
        });

        // A writer has no width to measure: room for the widest table, as the program gives redirected output.
        console.Profile.Width = 200;
        return console;
    }
}
