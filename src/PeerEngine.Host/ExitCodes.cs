namespace PeerEngine.Host;

/// <summary>The exit codes of the host contract (shared/specs/host-cli.md).</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Unreachable = 3;
}
