using System.Collections.Concurrent;

namespace PeerEngine.Connections.Internal;

/// <summary>
/// Send-loop wake-ups of many connections, run by one thread at a time (<see cref="SendScheduler"/>):
/// a thread-pool work item when nobody is draining, or the thread of a batch of handlers when its
/// scope ends. One queue per core (at most 16), so that cores do not contend on one queue.
/// </summary>
internal sealed class SendQueue : IThreadPoolWorkItem
{
    private static readonly SendQueue[] Queues = CreateQueues();

    private readonly ConcurrentQueue<(Action<object?> Action, object? State)> _work = new();

    // 1 while a thread drains the queue or a work item to drain it is queued: wake-ups added meanwhile
    // are run by that thread, so a burst of them costs one thread-pool work item, not one each.
    private int _draining;

    /// <summary>The queue of the core this thread runs on.</summary>
    public static SendQueue Current => Queues[(uint)Thread.GetCurrentProcessorId() % (uint)Queues.Length];

    /// <summary>Adds a wake-up and makes sure a work item will run it.</summary>
    public void Enqueue(Action<object?> action, object? state)
    {
        _work.Enqueue((action, state));
        if (TryClaim())
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Adds a wake-up for <see cref="DrainHere"/> to run (or a thread already draining).</summary>
    public void Add(Action<object?> action, object? state) => _work.Enqueue((action, state));

    /// <summary>Runs what is queued on this thread, unless another thread is draining the queue already: it runs it then.</summary>
    public void DrainHere()
    {
        if (TryClaim())
        {
            Drain();
        }
    }

    void IThreadPoolWorkItem.Execute() => Drain();

    private bool TryClaim() => Volatile.Read(ref _draining) == 0 && Interlocked.Exchange(ref _draining, 1) == 0;

    private void Drain()
    {
        try
        {
            while (true)
            {
                while (_work.TryDequeue(out (Action<object?> Action, object? State) item))
                {
                    item.Action(item.State);
                }

                Volatile.Write(ref _draining, 0);

                // A wake-up added after the last dequeue and before the release found the queue claimed: run it.
                if (_work.IsEmpty || !TryClaim())
                {
                    return;
                }
            }
        }
        catch
        {
            // A send loop's continuation does not throw; if one ever did, the queue must not stay claimed
            // with every later send of this core behind it.
            Volatile.Write(ref _draining, 0);
            if (!_work.IsEmpty && TryClaim())
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }

            throw;
        }
    }

    private static SendQueue[] CreateQueues()
    {
        var queues = new SendQueue[Math.Clamp(Environment.ProcessorCount, 1, 16)];
        for (int i = 0; i < queues.Length; i++)
        {
            queues[i] = new SendQueue();
        }

        return queues;
    }
}
