using System.Threading.Tasks.Sources;

namespace PeerEngine.Transport.SharedMemory.Internal;

/// <summary>
/// An auto-reset signal with one waiter at a time, allocation-free: a loop that found its ring empty
/// (or full) awaits it, the doorbell reader sets it. A set with nobody waiting is kept for the next
/// wait, so a wake-up that arrives between the ring check and the wait is not lost.
/// </summary>
internal sealed class WakeSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Set = 1;
    private const int Waiting = 2;

    // The waiting loop continues on the thread that rang (the doorbell reader's socket completion),
    // as the socket transport's protocol loop runs on its receive completion: a thread-pool hop less
    // per wake-up. The doorbell reader resumes reading bells when that loop next waits.
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };
    private int _state;

    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Set) == Set)
        {
            return default;
        }

        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Set)
        {
            // Set between the two looks: consume it.
            Volatile.Write(ref _state, Idle);
            return default;
        }

        return new ValueTask(this, _core.Version);
    }

    public void Signal()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state == Set)
            {
                return;
            }

            if (state == Idle && Interlocked.CompareExchange(ref _state, Set, Idle) == Idle)
            {
                return;
            }

            if (state == Waiting && Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
            {
                _core.SetResult(true);
                return;
            }
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
