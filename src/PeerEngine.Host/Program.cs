using System.CommandLine;
using System.CommandLine.Help;
using PeerEngine.Host;
using PeerEngine.Host.Commands;

// The console host (shared/specs/host-cli.md): scripts depend on its output and exit codes, so
// expected failures are one line on stderr with the contract's code, never a stack trace.
// A plain command named after the executable: RootCommand would take the assembly's name.
var root = new Command("peerengine", "Run PeerEngine peers, list them, talk to them.")
{
    new HelpOption(),
    new VersionOption(),
    DemoCommand.Create(),
    RunCommand.Create(),
    PeersCommand.Create(),
    SendCommand.Create(),
    RegistryCommand.Create(),
};

ParseResult parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    Console.Error.WriteLine($"peerengine: {RegistryAccess.OneLine(parsed.Errors[0].Message.Replace('\t', ' '))}");
    return ExitCodes.Usage;
}

try
{
    // No termination timeout: `run` drains for up to its drain timeout after SIGTERM, and the host's
    // own console lifetime handles the signal (System.CommandLine would kill it after 2 s, exit 143).
    return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
}
catch (CliException e)
{
    Console.Error.WriteLine($"peerengine: {e.Message}");
    return e.ExitCode;
}
catch (OperationCanceledException)
{
    return ExitCodes.Success;
}
