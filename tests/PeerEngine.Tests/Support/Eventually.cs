using System.Diagnostics;

namespace PeerEngine.Tests.Support;

/// <summary>Waits for a condition that other threads or processes make true: short polls and an overall deadline, never a fixed sleep.</summary>
internal static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(5);

    /// <summary>Waits until <paramref name="condition"/> holds, failing the test after <paramref name="within"/> (default 10 s).</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? within = null) =>
        await WaitUntilAsync(condition, within ?? TimeSpan.FromSeconds(10), what);

    /// <summary>
    /// Waits until <paramref name="condition"/> holds; on a timeout the failure says <paramref name="describe"/>,
    /// evaluated then, so that it shows the state the wait gave up on rather than the state it began with.
    /// </summary>
    public static async Task TrueAsync(Func<bool> condition, Func<string> describe, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > within)
            {
                Assert.Fail($"Timed out after {within.TotalSeconds:0.0} s waiting until {describe()}.");
            }

            await Task.Delay(Poll);
        }
    }

    /// <summary>Returns how long it took for <paramref name="condition"/> to hold; fails the test at <paramref name="deadline"/>.</summary>
    public static async Task<TimeSpan> WaitUntilAsync(Func<bool> condition, TimeSpan deadline, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > deadline)
            {
                Assert.Fail($"Timed out after {deadline.TotalSeconds:0.0} s waiting until {what}.");
            }

            await Task.Delay(Poll);
        }

        return clock.Elapsed;
    }
}
