using System.Diagnostics;

namespace PeerEngine.Registry.Internal;

/// <summary>This process as the registry records it: the pid and the start time that, together, tell a reused pid apart.</summary>
internal static class ProcessIdentity
{
    public static int ProcessId { get; } = Environment.ProcessId;

    public static long StartUnixMs { get; } = ReadStartTime();

    private static long ReadStartTime()
    {
        using var self = Process.GetCurrentProcess();
        return new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();
    }
}
