using Microsoft.Extensions.Time.Testing;
using PeerEngine.Load.Running;

namespace PeerEngine.Load.Tests.Support;

/// <summary>Moves a fake clock in step with an open-model dispatcher, so every call starts exactly on its schedule.</summary>
internal static class FakeClock
{
    public static async Task DriveAsync(FakeTimeProvider time, OpenModelDriver driver, Task running)
    {
        while (!running.IsCompleted)
        {
            long parked = await ParkedAsync(time, driver, running);
            if (running.IsCompleted)
            {
                return;
            }

            if (parked == OpenModelDriver.ParkedOnSlot || parked == -1)
            {
                // Waiting for a call to finish (or done dispatching, waiting for the last ones): let time pass.
                AdvanceInline(time, TimeSpan.FromMilliseconds(1));
            }
            else
            {
                long ticks = (long)Math.Ceiling((parked - time.GetTimestamp()) * (double)TimeSpan.TicksPerSecond / time.TimestampFrequency);
                AdvanceInline(time, TimeSpan.FromTicks(Math.Max(1, ticks)));
            }
        }
    }

    /// <summary>
    /// Advances with no synchronization context: under xunit's, the runtime refuses to inline the
    /// continuations a timer completes and queues them to the pool, where they would race the next advance.
    /// </summary>
    public static void AdvanceInline(FakeTimeProvider time, TimeSpan by)
    {
        SynchronizationContext? saved = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            time.Advance(by);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(saved);
        }
    }

    /// <summary>
    /// A delay on the fake clock whose continuation runs inside <see cref="FakeTimeProvider.Advance"/>
    /// (Task.Delay's would hop to the pool and race the next advance), so a stalled call ends at its time.
    /// </summary>
    public static Task StallAsync(FakeTimeProvider time, TimeSpan duration)
    {
        var done = new TaskCompletionSource();
        ITimer? timer = null;
        timer = time.CreateTimer(_ => { done.SetResult(); timer?.Dispose(); }, null, duration, Timeout.InfiniteTimeSpan);
        return done.Task;
    }

    private static async Task<long> ParkedAsync(FakeTimeProvider time, OpenModelDriver driver, Task running)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!deadline.IsCancellationRequested)
        {
            long parked = driver.ParkedUntil;
            if (running.IsCompleted || parked == OpenModelDriver.ParkedOnSlot || parked > time.GetTimestamp() || (driver.Dispatched && parked == -1))
            {
                return parked;
            }

            await Task.Yield();
        }

        throw new TimeoutException("The dispatcher never parked.");
    }
}
