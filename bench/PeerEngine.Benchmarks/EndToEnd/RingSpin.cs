using System.Globalization;

namespace PeerEngine.Benchmarks.EndToEnd;

/// <summary>
/// The shared-memory rings' spin budget of a run (<c>e2e run --ring-spin-us N</c>), passed to the
/// server and the client processes in <see cref="Variable"/> so that both sides spin alike.
/// </summary>
internal static class RingSpin
{
    public const string Variable = "E2E_RING_SPIN_US";

    public static TimeSpan FromEnvironment(TimeSpan otherwise) =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } text
            ? TimeSpan.FromMicroseconds(int.Parse(text, CultureInfo.InvariantCulture))
            : otherwise;
}
