using PeerEngine.Load.Measurement;
using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Running;

/// <summary>
/// Starts an open plan's calls at their intended times on a dedicated thread, never waiting for
/// answers (wrk2's constant throughput, with latency measured from the intended time). At the
/// concurrency cap a due call waits for a free slot and counts as late; one that could not start
/// within the maximum start lag is dropped and counted, so the generator never spawns without bound.
/// </summary>
internal sealed class OpenModelDriver : IAsyncDisposable
{
    /// <summary><see cref="ParkedUntil"/> while the dispatcher waits for a free slot.</summary>
    public const long ParkedOnSlot = long.MaxValue;

    /// <summary>How long <see cref="DisposeAsync"/> waits for calls in flight: a dead target must not hold the run's end forever.</summary>
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(10);

    private readonly SimulationPlan _plan;
    private readonly CallInvoker _invoker;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _slots;
    private readonly long _maxLag;
    private readonly TimeSpan _drainTimeout;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly DispatchTiming _timing;
    private CancellationTokenRegistration _callerStop;
    private long _pending = 1;
    private long _parkedUntil = -1;
    private long _scheduled;
    private int _started;
    private int _disposed;
    private Exception? _error;

    public OpenModelDriver(SimulationPlan plan, CallInvoker invoker, TimeProvider time, int maxConcurrency, TimeSpan maxStartLag, DispatchTiming timing = DispatchTiming.Spin, TimeSpan? drainTimeout = null)
    {
        _timing = timing;
        _plan = plan;
        _invoker = invoker;
        _time = time;
        _slots = new SemaphoreSlim(maxConcurrency, maxConcurrency);
        _maxLag = (long)(maxStartLag.TotalSeconds * time.TimestampFrequency);
        _drainTimeout = drainTimeout ?? DefaultDrainTimeout;
    }

    /// <summary>
    /// The timestamp the dispatcher sleeps until, <see cref="ParkedOnSlot"/>, or -1 while it works.
    /// Tests on a fake clock advance time only once the dispatcher has caught up.
    /// </summary>
    public long ParkedUntil => Interlocked.Read(ref _parkedUntil);

    /// <summary>True once every call was started or dropped.</summary>
    public bool Dispatched { get; private set; }

    /// <summary>Calls the schedule brought due so far, started or dropped: the whole plan unless the run was stopped early.</summary>
    public long Scheduled => Interlocked.Read(ref _scheduled);

    /// <summary>
    /// The first failure of the generator itself (the dispatcher, or recording a call), or null. Such a
    /// failure stops dispatching; it is reported, never thrown on the dispatcher's thread (which would
    /// end the process) nor left in an unobserved task.
    /// </summary>
    public Exception? GeneratorError => Volatile.Read(ref _error);

    /// <summary>Runs the plan from <paramref name="start"/>; completes when every call has finished. Once only.</summary>
    public Task RunAsync(long start, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("An open-model driver runs its plan once.");
        }

        _callerStop = cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), _stop);
        var thread = new Thread(() => Dispatch(start, _stop.Token))
        {
            IsBackground = true,
            Name = "load open-model dispatcher",
            Priority = ThreadPriority.AboveNormal,
        };
        thread.Start();
        return _done.Task;
    }

    /// <summary>
    /// Shuts down in order: stops dispatching, waits for the calls in flight (at most the drain timeout),
    /// and only then disposes the concurrency semaphore, so no call completes into a disposed one.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        // Cancel, not CancelAsync: the dispatcher must be told before this returns to its caller.
        _stop.Cancel();
        if (Volatile.Read(ref _started) != 0)
        {
            try
            {
                await _done.Task.WaitAsync(_drainTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Calls still in flight will release their slots when they end: the semaphore (whose wait
                // handle was never asked for, so it holds nothing unmanaged) is left to the GC rather than
                // disposed under them.
                return;
            }
        }

        _slots.Dispose();
        _stop.Dispose();
    }

    private void Dispatch(long start, CancellationToken cancellationToken)
    {
        try
        {
            var schedule = new InjectionSchedule(_plan);
            double frequency = _time.TimestampFrequency;
            long slotFreedAt = long.MinValue;
            while (!cancellationToken.IsCancellationRequested && schedule.TryNext(out double offset))
            {
                long intended = start + (long)(offset * frequency);
                WaitUntil(intended, cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
                if (!_slots.Wait(0, CancellationToken.None))
                {
                    Interlocked.Exchange(ref _parkedUntil, ParkedOnSlot);
                    _slots.Wait(cancellationToken);
                    Interlocked.Exchange(ref _parkedUntil, -1);
                    slotFreedAt = _time.GetTimestamp();
                }

                // A slot freed as the stop came: the stop wins, and no call starts after it.
                if (cancellationToken.IsCancellationRequested)
                {
                    _slots.Release();
                    break;
                }

                Interlocked.Increment(ref _scheduled);

                // Late: held back by the cap, itself or behind a call that was (the backlog a stall leaves).
                if (intended < slotFreedAt)
                {
                    _invoker.Recorder.RecordLate();
                }

                if (_time.GetTimestamp() - intended > _maxLag)
                {
                    _slots.Release();
                    _invoker.Recorder.RecordDropped();
                    continue;
                }

                Interlocked.Increment(ref _pending);
                _ = RunOneAsync(intended);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped (by the caller, an abort rule or disposal): the calls in flight still finish and are recorded.
        }
#pragma warning disable CA1031 // An exception leaving this thread would end the process: it is kept and reported instead.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail(e);
        }
        finally
        {
            Dispatched = true;
            Interlocked.Exchange(ref _parkedUntil, -1);
            Finished();
        }
    }

    private async Task RunOneAsync(long intended)
    {
        try
        {
            await _invoker.InvokeAsync(intended, -1).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The step's own failures are failed calls (CallInvoker); what is left is the generator's, kept and reported.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Fail(e);
        }
        finally
        {
            // Unparked before the release, so whoever watches ParkedUntil never sees a parked
            // dispatcher that is in fact about to run.
            Interlocked.CompareExchange(ref _parkedUntil, -1, ParkedOnSlot);
            _slots.Release();
            Finished();
        }
    }

    private void Fail(Exception error)
    {
        Interlocked.CompareExchange(ref _error, error, null);
        _stop.Cancel();
    }

    private void Finished()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            // Unregister, not Dispose: Dispose would wait for the callback if it is running on another thread.
            _callerStop.Unregister();
            _done.TrySetResult();
        }
    }

    private void WaitUntil(long due, CancellationToken cancellationToken)
    {
        if (_time != TimeProvider.System)
        {
            WaitOnTimer(due, cancellationToken);
            return;
        }

        long millisecond = _time.TimestampFrequency / 1000;
        while (true)
        {
            long remaining = due - _time.GetTimestamp();
            if (remaining <= 0 || cancellationToken.IsCancellationRequested)
            {
                return;
            }

            // Sleep while a whole millisecond remains (the OS timer's grain), then yield-spin to the
            // due time: sleeping the last stretch would add up to a millisecond of start lag to every
            // call, which the response time would then (honestly) carry.
            if (_timing == DispatchTiming.Sleep)
            {
                Thread.Sleep((int)Math.Clamp(remaining / millisecond, 1, int.MaxValue));
            }
            else if (remaining > millisecond * 3 / 2)
            {
                Thread.Sleep((int)Math.Min(int.MaxValue, (remaining - millisecond) / millisecond));
            }
            else
            {
                Thread.Yield();
            }
        }
    }

    private void WaitOnTimer(long due, CancellationToken cancellationToken)
    {
        // A millisecond: how far the clock may move between reading it and making the timer before
        // the timer is made again (the real clock moves microseconds; a fake one jumps).
        long tolerance = _time.TimestampFrequency / 1000;
        while (true)
        {
            long now = _time.GetTimestamp();
            long remaining = due - now;
            if (remaining <= 0)
            {
                return;
            }

            using var signal = new ManualResetEventSlim();
            long ticks = (long)Math.Ceiling(remaining * (double)TimeSpan.TicksPerSecond / _time.TimestampFrequency);
            using ITimer timer = _time.CreateTimer(static s => ((ManualResetEventSlim)s!).Set(), signal, TimeSpan.FromTicks(Math.Max(1, ticks)), Timeout.InfiniteTimeSpan);

            // The timer counts from when it was made: a clock that moved since the reading would make
            // it late by as much, and the calls due meanwhile would wait for nothing.
            if (_time.GetTimestamp() - now > tolerance)
            {
                continue;
            }

            Interlocked.Exchange(ref _parkedUntil, due);
            signal.Wait(cancellationToken);
            Interlocked.Exchange(ref _parkedUntil, -1);
            return;
        }
    }
}
