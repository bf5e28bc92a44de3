using PeerEngine.Load.Measurement;

namespace PeerEngine.Load.Tests.Measurement;

public sealed class ThresholdTests
{
    private static readonly ScenarioResult Result = new()
    {
        Name = "echo",
        Model = "open",
        Plan = "inject",
        Ok = 9_990,
        Fail = 10,
        FailRate = 0.001,
        Rps = 20_000,
        OkRps = 19_980,
        Dropped = 0,
        ResponseTime = new LatencySummary
        {
            Count = 9_990,
            Mean = 420,
            Max = 9_000,
            Percentiles = [new(50, 300), new(99, 4_000), new(99.9, 7_000)],
        },
        ServiceTime = LatencySummary.Empty,
        StartLag = LatencySummary.Empty,
        FailResponseTime = LatencySummary.Empty,
        ErrorsByCode = new Dictionary<string, long>(),
        ErrorsByType = new Dictionary<string, long>(),
        Intervals = [],
        Spectrum = [],
        Notes = [],
    };

    [Theory]
    [InlineData("p99<5ms", true, 4_000)]
    [InlineData("p99<4ms", false, 4_000)]
    [InlineData("p99<=4ms", true, 4_000)]
    [InlineData("p99.9 < 6500us", false, 7_000)]
    [InlineData("mean<0.5ms", true, 420)]
    [InlineData("max<10ms", true, 9_000)]
    [InlineData("errors<0.1%", false, 0.001)]
    [InlineData("errors<=0.1%", true, 0.001)]
    [InlineData("fail-rate<0.01", true, 0.001)]
    [InlineData("rps>=19000", true, 19_980)]
    [InlineData("rps>=19990", false, 19_980)]
    [InlineData("dropped=0", true, 0)]
    [InlineData("echo:p50<1ms", true, 300)]
    public void Evaluates_against_the_response_time(string text, bool passes, double actual)
    {
        ThresholdResult result = Threshold.Parse(text).Evaluate(Result);

        Assert.Equal(passes, result.Passed);
        Assert.Equal(actual, result.Actual, 9);
        Assert.Equal("echo", result.Scenario);
    }

    [Fact]
    public void Rps_counts_successful_calls_only()
    {
        ScenarioResult failingFast = Result with { Rps = 20_000, OkRps = 100, FailRps = 19_900 };

        ThresholdResult result = Threshold.Parse("rps>=1000").Evaluate(failingFast);

        Assert.False(result.Passed);
        Assert.Equal(100, result.Actual);
    }

    [Fact]
    public void A_scoped_threshold_applies_to_its_scenario_only()
    {
        Threshold scoped = Threshold.Parse("flood:p99<1ms");

        Assert.True(scoped.AppliesTo("flood"));
        Assert.False(scoped.AppliesTo("echo"));
        Assert.True(Threshold.Parse("p99<1ms").AppliesTo("echo"));
    }

    [Theory]
    [InlineData("p99", "is not [scenario:]metric")]
    [InlineData("p99<fast", "not a duration")]
    [InlineData("latency<5ms", "unknown metric")]
    [InlineData("p100<5ms", "between 0 and 100")]
    [InlineData("errors<some", "not a number")]
    public void Rejects_with_a_reason(string text, string reason)
    {
        FormatException error = Assert.Throws<FormatException>(() => Threshold.Parse(text));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_percentile_that_was_not_measured_is_an_error_not_a_pass()
    {
        Assert.Throws<InvalidOperationException>(() => Threshold.Parse("p95<1s").Evaluate(Result));
    }
}
