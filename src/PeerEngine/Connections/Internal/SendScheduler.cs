using System.IO.Pipelines;

namespace PeerEngine.Connections.Internal;

/// <summary>
/// The protocol layer's choice of when a transport sends (<see cref="Transport.TransportSettings.SendLoopScheduler"/>,
/// the reader scheduler of every output pipe): wakes the send loop on the thread pool, except inside a
/// <see cref="Defer"/> scope, where the wake-ups are kept and run on this thread when the scope ends.
/// A batch of answers written on a pool thread then goes out in one send from that same thread,
/// instead of waking a second thread for the send loop (on one core, each wake-up is a context switch).
/// </summary>
internal sealed class SendScheduler : PipeScheduler
{
    public static readonly SendScheduler Instance = new();

    [ThreadStatic]
    private static DeferredSends? t_deferred;

    private SendScheduler()
    {
    }

    /// <summary>Keeps send-loop wake-ups made on this thread until the returned scope is disposed.</summary>
    public static Scope Defer()
    {
        DeferredSends deferred = t_deferred ??= new DeferredSends();
        deferred.Depth++;
        return new Scope(deferred);
    }

    public override void Schedule(Action<object?> action, object? state)
    {
        if (t_deferred is { Depth: > 0 } deferred)
        {
            deferred.Add(action, state);
        }
        else
        {
            System.Threading.ThreadPool.UnsafeQueueUserWorkItem(action, state, preferLocal: false);
        }
    }

    internal readonly struct Scope(DeferredSends deferred) : IDisposable
    {
        public void Dispose()
        {
            if (--deferred.Depth == 0)
            {
                deferred.RunAll();
            }
        }
    }

    internal sealed class DeferredSends
    {
        private (Action<object?> Action, object? State)[] _items = new (Action<object?>, object?)[4];
        private int _count;

        public int Depth { get; set; }

        public void Add(Action<object?> action, object? state)
        {
            if (_count == _items.Length)
            {
                Array.Resize(ref _items, _count * 2);
            }

            _items[_count++] = (action, state);
        }

        public void RunAll()
        {
            // Outside the scope now: a wake-up made while these run goes to the pool as usual.
            for (int i = 0; i < _count; i++)
            {
                (Action<object?> action, object? state) = _items[i];
                _items[i] = default;
                action(state);
            }

            _count = 0;
        }
    }
}
