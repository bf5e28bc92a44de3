using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Running;

/// <summary>
/// Runs a closed plan: copies that each start their next call when the last one ends, as many as
/// the plan asks for at each moment (re-read every tick). A copy's call is timed from its actual
/// start, which is all a closed loop knows: the report says so (coordinated omission).
/// </summary>
internal sealed class ClosedModelDriver(SimulationPlan plan, CallInvoker invoker, TimeProvider time)
{
    /// <summary>How often the number of copies follows a ramp.</summary>
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);

    private readonly object _gate = new();
    private readonly bool[] _alive = new bool[plan.MaxCopies];
    private readonly List<Task> _copies = [];
    private int _desired;
    private volatile bool _stopping;
    private long _iterationsLeft = plan.Phases is [IterationsForConstant only] ? only.Iterations : long.MaxValue;

    /// <summary>The most copies that ran at once, for tests and the report.</summary>
    public int PeakCopies { get; private set; }

    public async Task RunAsync(long start, CancellationToken cancellationToken)
    {
        bool byCount = plan.Phases is [IterationsForConstant];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                TimeSpan elapsed = time.GetElapsedTime(start);
                if (!byCount && elapsed >= plan.Duration)
                {
                    break;
                }

                Follow(plan.CopiesAt(elapsed));
                if (byCount)
                {
                    Task[] running;
                    lock (_gate)
                    {
                        running = [.. _copies];
                    }

                    await Task.WhenAll(running).ConfigureAwait(false);
                    break;
                }

                await Task.Delay(Tick, time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped by the caller: the copies finish their current call below.
        }

        _stopping = true;
        Task[] all;
        lock (_gate)
        {
            all = [.. _copies];
        }

        await Task.WhenAll(all).ConfigureAwait(false);
    }

    private void Follow(int desired)
    {
        Volatile.Write(ref _desired, desired);
        lock (_gate)
        {
            int running = 0;
            for (int copy = 0; copy < desired; copy++)
            {
                if (!_alive[copy])
                {
                    _alive[copy] = true;
                    int number = copy;

                    // On the pool: a step that completes synchronously would otherwise loop on this thread forever.
                    _copies.Add(Task.Run(() => CopyAsync(number)));
                }

                running++;
            }

            PeakCopies = Math.Max(PeakCopies, running);
            _copies.RemoveAll(t => t.IsCompleted);
        }
    }

    private async Task CopyAsync(int copy)
    {
        try
        {
            // A copy the plan started makes its first call even if it was first scheduled after the
            // plan's time was up (a starved machine): otherwise a scenario can end with no call at all.
            int inline = 0;
            bool first = true;
            while ((first || (!_stopping && copy < Volatile.Read(ref _desired))) && Interlocked.Decrement(ref _iterationsLeft) >= 0)
            {
                first = false;
                Task call = invoker.InvokeAsync(time.GetTimestamp(), copy);
                bool completedInline = call.IsCompleted;
                await call.ConfigureAwait(false);

                // A step that completes synchronously (a buffered one-way send, a no-op) would keep this
                // pool thread forever; with two cores, two such copies starved every other scenario,
                // the sampler and the controller itself. Give the thread back now and then.
                if (completedInline && ++inline % 16 == 0)
                {
                    await Task.Yield();
                }
            }
        }
        finally
        {
            lock (_gate)
            {
                _alive[copy] = false;
            }
        }
    }
}
