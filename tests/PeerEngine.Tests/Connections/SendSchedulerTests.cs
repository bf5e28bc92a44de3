using System.Collections.Concurrent;
using PeerEngine.Connections.Internal;

namespace PeerEngine.Tests.Connections;

/// <summary>Where send loops run: the per-core <see cref="SendQueue"/>, drained by a batch's thread or one work item.</summary>
public sealed class SendSchedulerTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public void Wake_ups_added_for_a_batch_run_on_its_thread_in_order_when_it_drains()
    {
        var queue = new SendQueue();
        int thread = Environment.CurrentManagedThreadId;
        var ran = new List<(string What, int Thread)>();
        queue.Add(state => ran.Add(((string)state!, Environment.CurrentManagedThreadId)), "first");
        queue.Add(state => ran.Add(((string)state!, Environment.CurrentManagedThreadId)), "second");
        Assert.Empty(ran);

        queue.DrainHere();

        Assert.Equal([("first", thread), ("second", thread)], ran);
    }

    [Fact]
    public async Task A_wake_up_outside_a_batch_runs_on_the_thread_pool()
    {
        var queue = new SendQueue();
        var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        queue.Enqueue(_ => ran.SetResult(Thread.CurrentThread.IsThreadPoolThread), null);

        Assert.True(await ran.Task.WaitAsync(Patience));
    }

    [Fact]
    public async Task Wake_ups_made_while_the_queue_is_drained_are_run_by_the_thread_draining_it()
    {
        var queue = new SendQueue();
        using var release = new ManualResetEventSlim();
        var threads = new ConcurrentBag<int>();
        using var done = new CountdownEvent(11);
        queue.Enqueue(_ =>
        {
            threads.Add(Environment.CurrentManagedThreadId);
            release.Wait(Patience);
            done.Signal();
        }, null);
        for (int i = 0; i < 10; i++)
        {
            queue.Enqueue(_ =>
            {
                threads.Add(Environment.CurrentManagedThreadId);
                done.Signal();
            }, null);
        }

        // Draining is taken: a batch's thread leaves its wake-ups to the thread already at it.
        queue.DrainHere();
        release.Set();

        Assert.True(await Task.Run(() => done.Wait(Patience)));
        Assert.Single(threads.Distinct());
        Assert.NotEqual(Environment.CurrentManagedThreadId, threads.First());
    }

    [Fact]
    public void A_wake_up_made_by_a_running_one_runs_in_the_same_drain()
    {
        var queue = new SendQueue();
        bool nested = false;
        queue.Add(_ => queue.Add(_ => nested = true, null), null);

        queue.DrainHere();

        Assert.True(nested, "the wake-up made while draining was left in the queue");
    }

    [Fact]
    public async Task A_failing_wake_up_does_not_leave_the_queue_claimed()
    {
        var queue = new SendQueue();
        var after = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.Add(_ => throw new InvalidOperationException("a send loop that failed"), null);

        Assert.Throws<InvalidOperationException>(queue.DrainHere);
        queue.Enqueue(_ => after.SetResult(), null);

        await after.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task Every_wake_up_made_inside_nested_batches_runs_once_they_end()
    {
        using var ran = new CountdownEvent(3);
        using (SendScheduler.Defer())
        {
            SendScheduler.Instance.Schedule(_ => ran.Signal(), null);
            using (SendScheduler.Defer())
            {
                SendScheduler.Instance.Schedule(_ => ran.Signal(), null);
            }

            // A thread may move to another core inside a batch: the batch still drains the queue it began with.
            Thread.Yield();
            SendScheduler.Instance.Schedule(_ => ran.Signal(), null);
        }

        Assert.True(await Task.Run(() => ran.Wait(Patience)), $"{ran.CurrentCount} wake-ups never ran");
    }
}
