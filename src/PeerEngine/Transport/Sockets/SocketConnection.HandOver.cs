using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace PeerEngine.Transport.Sockets;

/// <summary>
/// Work the protocol hands over while the receive loop's flush runs it inline (the handlers of a
/// receive's requests), kept until the next receive is armed and then run by the same thread,
/// instead of being queued to the thread pool at once.
/// </summary>
/// <remarks>
/// Queued at once, the work wakes a second pool thread while the receiving one is still busy
/// re-arming its receive, and the round trip of every batch pays that wake-up. On this machine's VM a
/// wake-up of a sleeping thread is a context switch through the hypervisor (issue 7: 46% of the
/// server's CPU when pipelined), and the pipelined and many-connection scenarios are bound by those
/// turnaround latencies, not by CPU (server and client each used about half their core). Run after
/// the receive is armed, the work never delays the reading: data that arrives meanwhile resumes the
/// receive loop on another pool thread, as it would have. User code still never runs inside the
/// receive loop; it runs on the pool thread the loop has just left.
/// </remarks>
internal sealed partial class SocketConnection
{
    // The thread whose flush is running the protocol inline, and the work it has handed over. Only
    // that thread keeps work here (so a protocol resumed on another thread never races with it); a
    // second item in one flush, which only happens at the in-flight limit, goes to the pool at once.
    private int _handOverThread;
    private IThreadPoolWorkItem? _handedOver;

    public override void Schedule(IThreadPoolWorkItem work)
    {
        if (_handOverThread == Environment.CurrentManagedThreadId && _handedOver is null)
        {
            _handedOver = work;
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
        }
    }

    /// <summary>
    /// Flushes what was received; the protocol reads it inline, and what it hands over meanwhile is
    /// kept for <see cref="WaitArmed"/>. Only on a pool thread: with inline socket completions the
    /// socket engine's own thread runs the receive loop, and user code must never run there.
    /// </summary>
    private ValueTask<System.IO.Pipelines.FlushResult> FlushKeepingHandOver()
    {
        if (!Thread.CurrentThread.IsThreadPoolThread)
        {
            return _received.Writer.FlushAsync();
        }

        _handOverThread = Environment.CurrentManagedThreadId;
        try
        {
            return _received.Writer.FlushAsync();
        }
        finally
        {
            _handOverThread = 0;
        }
    }

    /// <summary>Hands kept work to the thread pool: the loop is about to wait for something other than the peer, or to end.</summary>
    private void QueueHandedOver()
    {
        if (_handedOver is { } work)
        {
            _handedOver = null;
            ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
        }
    }

    /// <summary>
    /// Awaits a receive; if it is pending, the kept work runs on this thread once the continuation is
    /// registered. If the receive completed at once (more data already there), the work goes to the
    /// pool, so that the reading goes on without it.
    /// </summary>
    private ArmedReceive WaitArmed(ValueTask<int> receive)
    {
        IThreadPoolWorkItem? work = _handedOver;
        _handedOver = null;
        if (work is not null && receive.IsCompleted)
        {
            ThreadPool.UnsafeQueueUserWorkItem(work, preferLocal: false);
            work = null;
        }

        return new ArmedReceive(receive, work);
    }

    /// <summary>The awaiter of <see cref="WaitArmed"/>: registers the continuation, then runs the work.</summary>
    private readonly struct ArmedReceive(ValueTask<int> receive, IThreadPoolWorkItem? work) : ICriticalNotifyCompletion
    {
        // With work to run, always suspend: the work runs in UnsafeOnCompleted, and a receive that
        // completed since WaitArmed looked is then resumed on the pool (a rare extra hop, nothing lost).
        public bool IsCompleted => work is null && receive.IsCompleted;

        public ArmedReceive GetAwaiter() => this;

        public int GetResult() => receive.GetAwaiter().GetResult();

        public void OnCompleted(Action continuation)
        {
            receive.ConfigureAwait(false).GetAwaiter().OnCompleted(continuation);
            work?.Execute();
        }

        public void UnsafeOnCompleted(Action continuation)
        {
            receive.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(continuation);
            work?.Execute();
        }
    }
}
