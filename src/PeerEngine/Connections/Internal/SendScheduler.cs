using System.IO.Pipelines;

namespace PeerEngine.Connections.Internal;

/// <summary>
/// The protocol layer's choice of when a transport sends (<see cref="Transport.TransportSettings.SendLoopScheduler"/>,
/// the reader scheduler of every output pipe). A wake-up of a send loop joins the <see cref="SendQueue"/>
/// of the current core, which one thread drains at a time, sending for every connection with answers
/// waiting. Inside a <see cref="Defer"/> scope (a batch of handlers) the wake-ups only join the queue,
/// and the batch's own thread drains it when the scope ends, unless another thread already is.
/// </summary>
/// <remarks>
/// One connection: its answers leave from the batch's thread, with no second thread woken (on one
/// core, each wake-up is a context switch). Many connections: a thread that drains the queue sends for
/// all of them in turn, while the others go back to receiving (Kestrel's IOQueue does this for its sends).
/// </remarks>
internal sealed class SendScheduler : PipeScheduler
{
    public static readonly SendScheduler Instance = new();

    [ThreadStatic]
    private static int t_depth;

    // The queue of the outermost scope, taken once: a thread may move to another core inside the scope,
    // and wake-ups added to a queue nobody is told to drain would wait for the next one.
    [ThreadStatic]
    private static SendQueue? t_queue;

    private SendScheduler()
    {
    }

    /// <summary>Keeps send-loop wake-ups made on this thread in the queue until the returned scope is disposed, then drains it here.</summary>
    public static Scope Defer()
    {
        if (t_depth++ == 0)
        {
            t_queue = SendQueue.Current;
        }

        return default;
    }

    public override void Schedule(Action<object?> action, object? state)
    {
        if (t_depth > 0)
        {
            t_queue!.Add(action, state);
        }
        else
        {
            SendQueue.Current.Enqueue(action, state);
        }
    }

    internal readonly struct Scope : IDisposable
    {
        public void Dispose()
        {
            if (--t_depth == 0)
            {
                SendQueue queue = t_queue!;
                t_queue = null;
                queue.DrainHere();
            }
        }
    }
}
