using System.Diagnostics;

namespace PeerEngine.Discovery.Redis.Tests.Support;

/// <summary>Waits for a condition that other threads or processes make true: short polls and a deadline, never a fixed sleep.</summary>
internal static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);

    /// <summary>Returns how long it took for <paramref name="condition"/> to hold; fails the test past <paramref name="within"/>.</summary>
    public static async Task<TimeSpan> TrueAsync(Func<bool> condition, string what, TimeSpan within, Func<string>? context = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > within)
            {
                Assert.Fail($"Timed out after {within.TotalSeconds:0.0} s waiting until {what}. {context?.Invoke()}");
            }

            await Task.Delay(Poll);
        }

        return clock.Elapsed;
    }

    /// <summary>Checks that <paramref name="condition"/> holds at every poll for <paramref name="during"/>.</summary>
    public static async Task AlwaysAsync(Func<bool> condition, string what, TimeSpan during)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < during)
        {
            Assert.True(condition(), $"After {clock.Elapsed.TotalSeconds:0.0} s: expected {what}.");
            await Task.Delay(Poll * 5);
        }
    }
}
