using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;
using PeerEngine.Load.Tests.Support;

namespace PeerEngine.Load.Tests.Running;

public sealed class RateSearchTests
{
    [Fact]
    public async Task Doubles_until_the_target_breaks_then_bisects()
    {
        // A target whose p99 stays at 500 µs up to 5,000 calls/s and jumps to 20 ms above.
        var tried = new List<double>();
        var search = new RateSearch(
            (rate, _) =>
            {
                tried.Add(rate);
                return Task.FromResult(Result(rate, p99: rate <= 5_000 ? 500 : 20_000, valid: true));
            },
            Threshold.Parse("p99<1ms")) { StartRate = 1_000, RefineSteps = 3 };

        RateSearchResult result = await search.RunAsync(null, CancellationToken.None);

        Assert.Equal([1_000, 2_000, 4_000, 8_000, 6_000, 5_000, 5_500], tried);
        Assert.Equal(5_000, result.SustainableRate);
        Assert.Equal(tried.Count, result.Steps.Count);
    }

    [Fact]
    public async Task A_step_whose_generator_fell_behind_fails_even_if_its_latency_passed()
    {
        var search = new RateSearch(
            (rate, _) => Task.FromResult(Result(rate, p99: 100, valid: rate < 3_000)),
            Threshold.Parse("p99<1ms")) { StartRate = 1_000, RefineSteps = 0 };

        RateSearchResult result = await search.RunAsync(null, CancellationToken.None);

        Assert.Equal(2_000, result.SustainableRate);
        Assert.Equal("target rate not achieved", result.Steps[^1].Problem);
    }

    private static LoadResult Result(double rate, long p99, bool valid) => new()
    {
        Run = Runs.Info([99]),
        Scenarios =
        [
            new ScenarioResult
            {
                Name = "s",
                Model = "open",
                Plan = "inject",
                Rps = rate,
                Ok = (long)rate,
                ResponseTime = new LatencySummary { Count = (long)rate, Max = p99, Percentiles = [new(99, p99)] },
                ServiceTime = LatencySummary.Empty,
                StartLag = LatencySummary.Empty,
                FailResponseTime = LatencySummary.Empty,
                ErrorsByCode = new Dictionary<string, long>(),
                ErrorsByType = new Dictionary<string, long>(),
                Intervals = [],
                Spectrum = [],
                Notes = [],
            },
        ],
        Health = new GeneratorHealth
        {
            Hiccups = LatencySummary.Empty,
            Valid = valid,
            Problems = valid ? [] : ["target rate not achieved"],
            Warnings = [],
        },
        Thresholds = [],
    };
}
