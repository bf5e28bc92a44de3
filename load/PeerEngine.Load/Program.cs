using PeerEngine.Load.Cli;
using Spectre.Console;

// Ctrl+C stops the run; the calls in flight finish and the report is still written.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

return await LoadCommand.InvokeAsync(args, AnsiConsole.Console, Console.Out, Console.Error, stop.Token);
