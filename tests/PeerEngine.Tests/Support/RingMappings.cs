namespace PeerEngine.Tests.Support;

/// <summary>What /proc says of this process's shared-memory rings: how a test sees which transport a node used.</summary>
internal static class RingMappings
{
    /// <summary>The memfd's name as /proc shows a mapping or descriptor of it.</summary>
    public const string RingName = "memfd:peerengine-ring";

    /// <summary>The rings this process has mapped now.</summary>
    public static int Count() => File.ReadAllLines("/proc/self/maps").Count(l => l.Contains(RingName, StringComparison.Ordinal));
}
