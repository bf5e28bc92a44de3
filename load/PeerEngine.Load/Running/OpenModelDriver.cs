using PeerEngine.Load.Measurement;
using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Running;

/// <summary>
/// Starts an open plan's calls at their intended times on a dedicated thread, never waiting for
/// answers (wrk2's constant throughput, with latency measured from the intended time). At the
/// concurrency cap a due call waits for a free slot and counts as late; one that could not start
/// within the maximum start lag is dropped and counted, so the generator never spawns without bound.
/// </summary>
internal sealed class OpenModelDriver : IDisposable
{
    /// <summary><see cref="ParkedUntil"/> while the dispatcher waits for a free slot.</summary>
    public const long ParkedOnSlot = long.MaxValue;

    private readonly SimulationPlan _plan;
    private readonly CallInvoker _invoker;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _slots;
    private readonly long _maxLag;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DispatchTiming _timing;
    private long _pending = 1;
    private long _parkedUntil = -1;

    public OpenModelDriver(SimulationPlan plan, CallInvoker invoker, TimeProvider time, int maxConcurrency, TimeSpan maxStartLag, DispatchTiming timing = DispatchTiming.Spin)
    {
        _timing = timing;
        _plan = plan;
        _invoker = invoker;
        _time = time;
        _slots = new SemaphoreSlim(maxConcurrency, maxConcurrency);
        _maxLag = (long)(maxStartLag.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>
    /// The timestamp the dispatcher sleeps until, <see cref="ParkedOnSlot"/>, or -1 while it works.
    /// Tests on a fake clock advance time only once the dispatcher has caught up.
    /// </summary>
    public long ParkedUntil => Interlocked.Read(ref _parkedUntil);

    /// <summary>True once every call was started or dropped.</summary>
    public bool Dispatched { get; private set; }

    /// <summary>Runs the plan from <paramref name="start"/>; completes when every call has finished.</summary>
    public Task RunAsync(long start, CancellationToken cancellationToken)
    {
        var thread = new Thread(() => Dispatch(start, cancellationToken))
        {
            IsBackground = true,
            Name = "load open-model dispatcher",
            Priority = ThreadPriority.AboveNormal,
        };
        thread.Start();
        return _done.Task;
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
                if (!_slots.Wait(0, CancellationToken.None))
                {
                    Interlocked.Exchange(ref _parkedUntil, ParkedOnSlot);
                    _slots.Wait(cancellationToken);
                    Interlocked.Exchange(ref _parkedUntil, -1);
                    slotFreedAt = _time.GetTimestamp();
                }

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
            // Stopped by the caller: the calls in flight still finish and are recorded.
        }
        finally
        {
            Dispatched = true;
            Interlocked.Exchange(ref _parkedUntil, -1);
            Finished();
        }
    }

    /// <summary>Call once <see cref="RunAsync"/> has completed.</summary>
    public void Dispose() => _slots.Dispose();

    private async Task RunOneAsync(long intended)
    {
        try
        {
            await _invoker.InvokeAsync(intended, -1).ConfigureAwait(false);
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

    private void Finished()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
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
        long remaining = due - _time.GetTimestamp();
        if (remaining <= 0)
        {
            return;
        }

        using var signal = new ManualResetEventSlim();
        long ticks = (long)Math.Ceiling(remaining * (double)TimeSpan.TicksPerSecond / _time.TimestampFrequency);
        using ITimer timer = _time.CreateTimer(static s => ((ManualResetEventSlim)s!).Set(), signal, TimeSpan.FromTicks(Math.Max(1, ticks)), Timeout.InfiniteTimeSpan);
        Interlocked.Exchange(ref _parkedUntil, due);
        signal.Wait(cancellationToken);
        Interlocked.Exchange(ref _parkedUntil, -1);
    }
}
