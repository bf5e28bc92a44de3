using PeerEngine.Connections.Internal;

namespace PeerEngine.Tests.Connections;

public sealed class SendSchedulerTests
{
    [Fact]
    public void Inside_a_deferral_a_wake_up_runs_on_this_thread_when_the_outermost_scope_ends()
    {
        int thread = Environment.CurrentManagedThreadId;
        var ran = new List<(string What, int Thread)>();
        using (SendScheduler.Defer())
        {
            using (SendScheduler.Defer())
            {
                SendScheduler.Instance.Schedule(state => ran.Add(((string)state!, Environment.CurrentManagedThreadId)), "first");
                SendScheduler.Instance.Schedule(state => ran.Add(((string)state!, Environment.CurrentManagedThreadId)), "second");
            }

            Assert.Empty(ran);
        }

        Assert.Equal([("first", thread), ("second", thread)], ran);
    }

    [Fact]
    public async Task Outside_a_deferral_a_wake_up_goes_to_the_thread_pool()
    {
        var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        SendScheduler.Instance.Schedule(_ => ran.SetResult(Thread.CurrentThread.IsThreadPoolThread), null);

        Assert.True(await ran.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void A_wake_up_made_while_deferred_ones_run_is_not_deferred_again()
    {
        var nested = new ManualResetEventSlim();
        using (SendScheduler.Defer())
        {
            SendScheduler.Instance.Schedule(_ => SendScheduler.Instance.Schedule(_ => nested.Set(), null), null);
        }

        Assert.True(nested.Wait(TimeSpan.FromSeconds(10)), "the wake-up made by a deferred one was lost");
    }
}
