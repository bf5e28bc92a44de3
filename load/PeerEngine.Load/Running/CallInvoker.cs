using PeerEngine.Load.Measurement;
using PeerEngine.Load.Scenarios;

namespace PeerEngine.Load.Running;

/// <summary>Runs one call of a scenario's step and records it, whatever the step does (returns, fails, throws).</summary>
internal sealed class CallInvoker(ScenarioProps scenario, ScenarioRecorder recorder, TimeProvider time, CancellationToken cancellationToken)
{
    private long _invocations;

    public ScenarioRecorder Recorder => recorder;

    /// <param name="intended">When the call should have started (the schedule's time; the actual start in a closed model).</param>
    /// <param name="copy">The copy making the call, or -1 in an open model.</param>
    public async Task InvokeAsync(long intended, int copy)
    {
        long number = Interlocked.Increment(ref _invocations) - 1;
        long started = time.GetTimestamp();
        Response response;
        Exception? error = null;
        try
        {
            response = await scenario.Step(new ScenarioContext(scenario.Name, number, copy, cancellationToken)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            response = Response.Fail("cancelled", "the run was stopped");
        }
#pragma warning disable CA1031 // A load generator reports what its target throws; any exception is a failed call, counted by type.
        catch (Exception e)
#pragma warning restore CA1031
        {
            error = e;
            response = Response.Fail(ErrorCodeOf(e), e.Message);
        }

        recorder.Record(intended, started, time.GetTimestamp(), response, error);
    }

    /// <summary>The call's error code: the generator's own descriptor shortage first, then the scenario's mapping.</summary>
    private string ErrorCodeOf(Exception error)
    {
        if (GeneratorErrors.IsOutOfDescriptors(error))
        {
            return GeneratorErrors.OutOfDescriptorsCode;
        }

        try
        {
            return scenario.ErrorCode(error);
        }
#pragma warning disable CA1031 // A mapping that throws must not lose the call: it still counts, under its exception type.
        catch (Exception)
#pragma warning restore CA1031
        {
            return error.GetType().Name;
        }
    }
}
