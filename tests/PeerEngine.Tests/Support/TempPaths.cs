namespace PeerEngine.Tests.Support;

/// <summary>Unique scratch paths under the system temp folder.</summary>
internal static class TempPaths
{
    /// <summary>A Unix socket path; short, because sun_path holds at most 107 bytes.</summary>
    public static string UnixSocket() => Path.Combine(Path.GetTempPath(), $"pe-{Guid.NewGuid():N}"[..15] + ".sock");
}
