using PeerEngine.Load.Cli;
using Spectre.Console;

// Ctrl+C stops the run; the calls in flight finish and the report is still written.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

// Redirected output (CI logs, files) has no width to measure: give the tables room instead of wrapping every cell.
if (Console.IsOutputRedirected)
{
    AnsiConsole.Profile.Width = 200;
}

return await LoadCommand.InvokeAsync(args, AnsiConsole.Console, Console.Out, Console.Error, Console.In, stop.Token);
