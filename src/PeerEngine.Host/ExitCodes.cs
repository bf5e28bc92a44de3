namespace PeerEngine.Host;

/// <summary>The exit codes of the host contract (shared/specs/host-cli.md).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Unreachable = 3;

    /// <summary>A command cut short by Ctrl+C or SIGTERM before it did all it was asked (128 + SIGINT, as a shell reports it).</summary>
    public const int Interrupted = 130;
}
