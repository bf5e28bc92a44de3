using System.Diagnostics;

namespace PeerEngine.Tests.Registry;

/// <summary>Waits on a condition with short polls and an overall deadline, never a fixed sleep.</summary>
internal static class Eventually
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(10);

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
