namespace PeerEngine.Load.Cli;

/// <summary>The process's exit codes, as CI reads them.</summary>
internal static class ExitCodes
{
    public const int Passed = 0;

    /// <summary>A usage mistake or a failure to run at all.</summary>
    public const int Error = 1;

    /// <summary>The run completed but broke a threshold.</summary>
    public const int ThresholdFailed = 2;
}
