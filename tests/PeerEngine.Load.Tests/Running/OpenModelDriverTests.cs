using Microsoft.Extensions.Time.Testing;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;
using PeerEngine.Load.Scenarios;
using PeerEngine.Load.Simulations;
using PeerEngine.Load.Tests.Support;

namespace PeerEngine.Load.Tests.Running;

public sealed class OpenModelDriverTests
{
    [Fact]
    public async Task Starts_every_call_at_its_scheduled_time()
    {
        var time = new FakeTimeProvider();
        long origin = time.GetTimestamp();
        var starts = new List<TimeSpan>();
        ScenarioProps scenario = Scenario.Create("paced", _ =>
        {
            lock (starts)
            {
                starts.Add(time.GetElapsedTime(origin));
            }

            return ValueTask.FromResult(Response.Ok(10));
        });
        var plan = SimulationPlan.Create(
        [
            Simulation.Inject(50, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)),
            Simulation.RampingInject(150, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)),
        ]);

        using var recorder = new ScenarioRecorder(time.TimestampFrequency, time.GetUtcNow());
        await using var driver = new OpenModelDriver(plan, new CallInvoker(scenario, recorder, time, default), time, 100, TimeSpan.FromSeconds(5));
        Task running = driver.RunAsync(origin, CancellationToken.None);
        await FakeClock.DriveAsync(time, driver, running);
        await running.WaitAsync(TimeSpan.FromSeconds(10));

        // 50 in the first second, then ∫ (50 + 100t) dt = 100 in the ramp.
        Assert.Equal(150, starts.Count);
        Assert.Equal(plan.ScheduledCalls, starts.Count);
        Assert.Equal(50, starts.Count(s => s < TimeSpan.FromSeconds(1)));
        var schedule = new InjectionSchedule(plan);
        foreach (TimeSpan start in starts)
        {
            Assert.True(schedule.TryNext(out double due));
            Assert.InRange(start.TotalSeconds - due, -1e-6, 1e-6);
        }

        ScenarioResult result = recorder.Finish(Header(plan), LatencySummary.DefaultPercentiles);
        Assert.Equal(150, result.Ok);
        Assert.Equal(1500, result.Bytes);
        Assert.Equal(0, result.StartLag.Max);
    }

    [Fact]
    public async Task A_clock_that_moves_while_the_driver_sets_its_timer_does_not_hold_back_the_calls_now_due()
    {
        // The first timer the driver sets (for the call due at 5 ms) is made after the clock moved to
        // 100 ms, as when a test advances a fake clock between the driver's reading and its timer:
        // the calls due by 100 ms (0, 5, ..., 100: 21) must all start without the clock moving on.
        var time = new ClockMovingWhileATimerIsMade(TimeSpan.FromMilliseconds(100));
        long origin = time.GetTimestamp();
        int started = 0;
        var dueByNow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ScenarioProps scenario = Scenario.Create("paced", _ =>
        {
            if (Interlocked.Increment(ref started) == 21)
            {
                dueByNow.TrySetResult();
            }

            return ValueTask.FromResult(Response.Ok());
        });
        var plan = SimulationPlan.Create([Simulation.Inject(200, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))]);

        using var recorder = new ScenarioRecorder(time.TimestampFrequency, time.GetUtcNow());
        using var stop = new CancellationTokenSource();
        await using var driver = new OpenModelDriver(plan, new CallInvoker(scenario, recorder, time, default), time, 100, TimeSpan.FromSeconds(5));
        Task running = driver.RunAsync(origin, stop.Token);

        await dueByNow.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(21, Volatile.Read(ref started));
        await stop.CancelAsync();

        // Ends when cancelled, however it ends (WhenAny never throws the run's own exception).
        await Task.WhenAny(running).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_stalled_target_shows_in_response_time_but_not_in_service_time()
    {
        // wrk2's demonstration: 100 calls/s for 10 s over one connection (cap 1); at 2 s the target
        // stalls for 1 s. The ~100 calls due during the stall wait, so from their intended start
        // they took up to 1 s; timed from when they could actually start, they took nothing.
        var time = new FakeTimeProvider();
        long origin = time.GetTimestamp();
        bool stalled = false;
        ScenarioProps target = Scenario.Create("stall", async _ =>
        {
            if (!stalled && time.GetElapsedTime(origin) >= TimeSpan.FromSeconds(2))
            {
                stalled = true;
                await FakeClock.StallAsync(time, TimeSpan.FromSeconds(1));
            }

            return Response.Ok();
        });
        var plan = SimulationPlan.Create([Simulation.Inject(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10))]);

        using var recorder = new ScenarioRecorder(time.TimestampFrequency, time.GetUtcNow());
        await using var driver = new OpenModelDriver(plan, new CallInvoker(target, recorder, time, default), time, 1, TimeSpan.FromSeconds(5));
        Task running = driver.RunAsync(origin, CancellationToken.None);
        await FakeClock.DriveAsync(time, driver, running);
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        ScenarioResult result = recorder.Finish(Header(plan), LatencySummary.DefaultPercentiles);

        Assert.True(stalled);
        Assert.Equal(1000, result.Ok);
        Assert.Equal(0, result.Dropped);
        Assert.InRange(result.Late, 99, 101);

        // Corrected: the stall owns the top 10% of the distribution.
        Assert.InRange(result.ResponseTime.At(99)!.Value, 850_000, 1_000_000);
        Assert.InRange(result.ResponseTime.Max, 995_000, 1_003_000);
        Assert.Equal(0, result.ResponseTime.At(50));

        // Uncorrected: one slow call in a thousand, invisible at p99.
        Assert.Equal(0, result.ServiceTime.At(99));
        Assert.InRange(result.ServiceTime.Max, 995_000, 1_003_000);
        Assert.InRange(result.StartLag.At(99)!.Value, 850_000, 1_000_000);
    }

    [Fact]
    public async Task Calls_later_than_the_maximum_start_lag_are_dropped_and_counted()
    {
        var time = new FakeTimeProvider();
        long origin = time.GetTimestamp();
        bool stalled = false;
        ScenarioProps target = Scenario.Create("drop", async _ =>
        {
            if (!stalled)
            {
                stalled = true;
                await FakeClock.StallAsync(time, TimeSpan.FromSeconds(1));
            }

            return Response.Ok();
        });
        var plan = SimulationPlan.Create([Simulation.Inject(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2))]);

        using var recorder = new ScenarioRecorder(time.TimestampFrequency, time.GetUtcNow());
        await using var driver = new OpenModelDriver(plan, new CallInvoker(target, recorder, time, default), time, 1, TimeSpan.FromMilliseconds(500));
        Task running = driver.RunAsync(origin, CancellationToken.None);
        await FakeClock.DriveAsync(time, driver, running);
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        ScenarioResult result = recorder.Finish(Header(plan), LatencySummary.DefaultPercentiles);

        // Calls due in the stall's first half were over 500 ms late when the slot came free.
        Assert.InRange(result.Dropped, 45, 55);
        Assert.Equal(200, result.Ok + result.Dropped);
        Assert.InRange(result.StartLag.Max, 490_000, 501_000);
    }

    private static ScenarioResultHeader Header(SimulationPlan plan) =>
        new("test", null, "open", plan.ToString(), plan.Duration.TotalSeconds, plan.ScheduledCalls, 0, []);

    /// <summary>A fake clock that moves on by <paramref name="jump"/> as its first timer is being made.</summary>
    private sealed class ClockMovingWhileATimerIsMade(TimeSpan jump) : FakeTimeProvider
    {
        private int _moved;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (Interlocked.Exchange(ref _moved, 1) == 0)
            {
                Advance(jump);
            }

            return base.CreateTimer(callback, state, dueTime, period);
        }
    }
}
