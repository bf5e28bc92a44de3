using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;
using PeerEngine.Load.Scenarios;
using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Tests.Support;

/// <summary>A short real run with successes, failures and several intervals: material for the report tests.</summary>
internal static class SampleRun
{
    public static Task<LoadResult> CreateAsync() =>
        LoadRunner.RegisterScenarios(
                Scenario.Create("echo", ctx => ValueTask.FromResult(ctx.InvocationNumber % 50 == 7
                        ? Response.Fail("ERROR 6 Overloaded", "busy")
                        : Response.Ok(128)))
                    .WithLoadSimulations(
                        Simulation.RampingInject(1000, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(200)),
                        Simulation.Inject(1000, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(300)))
                    .WithoutWarmUp(),
                Scenario.Create("flood, \"quoted\"", _ => ValueTask.FromException<Response>(new InvalidOperationException("no")))
                    .WithLoadSimulations(Simulation.Inject(200, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(300)))
                    .WithoutWarmUp())
            .WithReportingInterval(TimeSpan.FromMilliseconds(100))
            .WithThresholds(Threshold.Parse("echo:p99<1s"))
            .RunAsync()
            .WaitAsync(TimeSpan.FromSeconds(30));
}
