namespace PeerEngine.Host;

/// <summary>An expected failure: one line on stderr and its exit code, never a stack trace.</summary>
internal sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    public static CliException Usage(string message) => new(ExitCodes.Usage, message);

    public static CliException Unreachable(string message) => new(ExitCodes.Unreachable, message);
}
