using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using PeerEngine.Host;
using PeerEngine.Host.Commands;

// The console host (shared/specs/host-cli.md): scripts depend on its output and exit codes, so
// expected failures are one line on stderr with the contract's code, never a stack trace.

// Socket completions run on the socket engine's thread instead of a thread-pool hop each: the
// runtime reads this variable once, when the first socket is made, so it is set before anything
// else (a value the user set wins). Safe here because the only sockets of this process are the
// node's, whose loops never block, and handlers are handed from that thread to the pool.
// Measured (bench/README, "Runtime settings for PeerEngine's host"): many connections +17–35% in
// three runs of four (level in the fourth), 64 KiB +5–16%, pipelined 2–6% lower, D=1 mixed.
const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
if (Environment.GetEnvironmentVariable(InlineSocketCompletions) is null)
{
    Environment.SetEnvironmentVariable(InlineSocketCompletions, "1");
}

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
    CertCommand.Create(),
};

try
{
    ParseResult parsed = root.Parse(args);
    if (parsed.Errors.Count > 0)
    {
        // "Unrecognized command or argument 'bogus'" says more than "Required command was not provided".
        ParseError error = parsed.Errors.FirstOrDefault(e => parsed.UnmatchedTokens.Any(token => e.Message.Contains($"'{token}'", StringComparison.Ordinal))) ?? parsed.Errors[0];
        Console.Error.WriteLine($"peerengine: {RegistryAccess.OneLine(error.Message)}");

        // A command that only groups others (peerengine itself, registry) was given none, or one it does
        // not have: its usage lists them. On stdout, so that stderr stays the one line of the contract.
        if (parsed.CommandResult.Command.Subcommands.Count > 0)
        {
            new HelpAction().Invoke(parsed);
        }

        return ExitCodes.Usage;
    }

    // No termination timeout: `run` drains for up to its drain timeout after SIGTERM, and the host's
    // own console lifetime handles the signal (System.CommandLine would kill it after 2 s, exit 143).
    // The other commands see the signals through the token.
    using var interruption = new Interruption();
    return await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false }, interruption.Token);
}
catch (CliException e)
{
    Console.Error.WriteLine($"peerengine: {e.Message}");
    return e.ExitCode;
}
catch (PeerEngine.PeerRegistryException e)
{
    // A registry the commands did not open themselves (a node's own, at its start) is bad input too.
    Console.Error.WriteLine($"peerengine: {RegistryAccess.OneLine(e.Message)}");
    return ExitCodes.Usage;
}
catch (OperationCanceledException)
{
    return ExitCodes.Success;
}
catch (Exception e)
{
    // The last resort: whatever no command expected is still one line for a person and exit 1,
    // never the runtime's stack trace (exit 134).
    Console.Error.WriteLine($"peerengine: unexpected failure: {e.GetType().Name}: {RegistryAccess.OneLine(e.Message)}");
    return ExitCodes.Failure;
}
