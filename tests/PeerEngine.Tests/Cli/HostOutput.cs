namespace PeerEngine.Tests.Cli;

/// <summary>What the host's contract says of its stderr on an expected failure.</summary>
internal static class HostOutput
{
    /// <summary>Exactly one line, and no stack trace in it.</summary>
    public static void OneLine(string stderr)
    {
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }
}
