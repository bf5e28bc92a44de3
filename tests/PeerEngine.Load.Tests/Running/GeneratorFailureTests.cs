using System.Net.Sockets;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;
using PeerEngine.Load.Scenarios;
using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Tests.Running;

/// <summary>The generator never crashes because its target misbehaves or its own resources run out.</summary>
public sealed class GeneratorFailureTests
{
    [Fact]
    public async Task A_sampler_failure_stops_and_marks_the_run_and_calls_in_flight_finish_before_the_driver_is_disposed()
    {
        // What EMFILE did to a three-scenario run: the first interval's sample could not load an assembly,
        // the scenario's task ended, and its driver was disposed under a dispatcher still running (an
        // ObjectDisposedException on the dispatcher's thread ended the process).
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ScenarioProps Slow(string name) => Scenario.Create(name, async _ =>
            {
                await release.Task;
                return Response.Ok();
            })
            .WithLoadSimulations(Simulation.Inject(200, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20)))
            .WithMaxConcurrency(3)
            .WithoutWarmUp();

        Task<LoadResult> run = LoadRunner.RegisterScenarios(Slow("echo"), Slow("mixed"), Slow("churn"))
            .WithReportingInterval(TimeSpan.FromMilliseconds(50))
            .WithObservers(null, (scenario, _) =>
            {
                if (scenario == "mixed")
                {
                    release.TrySetResult();
                    throw new FileNotFoundException("Could not load file or assembly 'System.IO.Compression'.", "System.IO.Compression");
                }
            })
            .RunAsync();
        LoadResult result = await run.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.StartsWith("generator failure on mixed at ", result.Aborted, StringComparison.Ordinal);
        Assert.Contains("FileNotFoundException: Could not load file or assembly", result.Aborted, StringComparison.Ordinal);
        Assert.Contains("could not load its own code", result.Aborted, StringComparison.Ordinal);
        // What matters: every call that was scheduled finished before its driver was disposed. How
        // many a scenario scheduled before the abort is timing: on a starved machine a scenario's
        // first call can come after the first sample, and then it rightly scheduled none.
        Assert.All(result.Scenarios, s =>
        {
            Assert.Equal(s.Scheduled, s.Ok);
            Assert.InRange(s.Scheduled, 0, 3999);
        });
    }

    [Fact]
    public async Task Disposing_stops_dispatch_waits_for_calls_in_flight_then_disposes()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int calls = 0;
        ScenarioProps slow = Scenario.Create("slow", async _ =>
        {
            if (Interlocked.Increment(ref calls) == 2)
            {
                started.TrySetResult();
            }

            await release.Task;
            return Response.Ok();
        });
        var plan = SimulationPlan.Create([Simulation.Inject(1000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30))]);
        using var recorder = new ScenarioRecorder(TimeProvider.System.TimestampFrequency, DateTimeOffset.UtcNow);
        var driver = new OpenModelDriver(plan, new CallInvoker(slow, recorder, TimeProvider.System, default), TimeProvider.System, 2, TimeSpan.FromSeconds(5));
        Task running = driver.RunAsync(TimeProvider.System.GetTimestamp(), CancellationToken.None);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // Both slots are taken and the dispatcher waits for one: disposing must stop it and then wait.
        Task disposed = driver.DisposeAsync().AsTask();
        Assert.False(disposed.IsCompleted);
        release.SetResult();
        await disposed.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(running.IsCompletedSuccessfully);
        Assert.Null(driver.GeneratorError);
        Assert.Equal(2, recorder.Completed);
        Assert.Equal(2, driver.Scheduled);
        Assert.Throws<ObjectDisposedException>(() => { _ = driver.RunAsync(0, CancellationToken.None); });
    }

    [Fact]
    public async Task Calls_still_in_flight_past_the_drain_timeout_end_without_an_error()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ScenarioProps stuck = Scenario.Create("stuck", async _ =>
        {
            started.TrySetResult();
            await release.Task;
            return Response.Ok();
        });
        var plan = SimulationPlan.Create([Simulation.Inject(100, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30))]);
        using var recorder = new ScenarioRecorder(TimeProvider.System.TimestampFrequency, DateTimeOffset.UtcNow);
        var driver = new OpenModelDriver(plan, new CallInvoker(stuck, recorder, TimeProvider.System, default), TimeProvider.System, 1, TimeSpan.FromSeconds(5), drainTimeout: TimeSpan.FromMilliseconds(50));
        Task running = driver.RunAsync(TimeProvider.System.GetTimestamp(), CancellationToken.None);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await driver.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(running.IsCompleted);

        // The call ends after the driver gave up waiting: its slot goes back to a semaphore left undisposed.
        release.SetResult();
        await running.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(driver.GeneratorError);
        Assert.Equal(1, recorder.Completed);
    }

    [Fact]
    public async Task A_failing_error_code_mapping_still_counts_the_call_as_failed_by_exception_type()
    {
        ScenarioProps odd = Scenario.Create("odd", _ => ValueTask.FromException<Response>(new TimeoutException("slow"))) with
        {
            ErrorCode = _ => throw new InvalidOperationException("the mapping is broken"),
        };

        LoadResult result = await LoadRunner.RegisterScenarios(
                odd.WithLoadSimulations(Simulation.Inject(200, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100))).WithoutWarmUp())
            .RunAsync()
            .WaitAsync(TimeSpan.FromSeconds(15));

        ScenarioResult s = result.Scenario("odd");
        Assert.Equal(20, s.Fail);
        Assert.Equal(20, s.ErrorsByCode["TimeoutException"]);
        Assert.Equal(20, s.ErrorsByType["System.TimeoutException"]);
        Assert.Null(result.Aborted);
    }

    [Fact]
    public async Task Calls_failing_for_want_of_file_descriptors_are_the_generators_failures_and_invalidate_the_run()
    {
        ScenarioProps churn = Scenario.Create("churn", ctx => ctx.InvocationNumber % 2 == 0
                ? ValueTask.FromException<Response>(new SocketException((int)SocketError.TooManyOpenSockets))
                : ValueTask.FromResult(Response.Ok()))
            .WithLoadSimulations(Simulation.Inject(200, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100)))
            .WithoutWarmUp();

        LoadResult result = await LoadRunner.RegisterScenarios(churn).RunAsync().WaitAsync(TimeSpan.FromSeconds(15));

        ScenarioResult s = result.Scenario("churn");
        Assert.Equal(10, s.ErrorsByCode[GeneratorErrors.OutOfDescriptorsCode]);
        Assert.Equal(10, s.ErrorsByType["System.Net.Sockets.SocketException"]);
        Assert.False(result.Health.Valid);
        Assert.Contains("churn: 10 calls failed in the load tool, not the target: it ran out of file descriptors (EMFILE)", Assert.Single(result.Health.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void A_connection_over_the_descriptor_budget_fails_as_the_generators_own()
    {
        var budget = new DescriptorBudget(connections: 1, limit: 200);
        budget.Take();

        DescriptorLimitException error = Assert.Throws<DescriptorLimitException>(budget.Take);
        Assert.True(GeneratorErrors.IsOutOfDescriptors(error));
        Assert.Contains("limit of 200 (ulimit -n", error.Message, StringComparison.Ordinal);

        budget.Return();
        budget.Take();
    }
}
