using HdrHistogram;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;
using PeerEngine.Load.Scenarios;
using PeerEngine.Load.Tests.Support;
using PeerEngine.Load.Workers;

namespace PeerEngine.Load.Tests.Workers;

public sealed class ResultMergeTests
{
    // One tick per microsecond: every recorded latency is exactly the number written here.
    private const long Frequency = 1_000_000;

    [Fact]
    public void Percentiles_come_from_the_added_histograms_never_from_averaging()
    {
        // A fast worker and a slow one: the run's p99 is the slow one's, not the mean of the two p99s.
        LoadResult fast = Worker(intervals: [Enumerable.Repeat(100L, 1000).ToArray(), Enumerable.Repeat(100L, 980).ToArray()]);
        LoadResult slow = Worker(intervals: [Enumerable.Repeat(10_000L, 30).ToArray(), Enumerable.Repeat(10_000L, 30).ToArray(), [20_000]]);

        LoadResult merged = ResultMerge.Merge([fast, slow], fast.Run, "inject rate=100 interval=1s during=3s", [Threshold.Parse("p99<5ms")]);

        ScenarioResult s = merged.Scenario("echo");
        Assert.Equal(1000 + 980 + 30 + 30 + 1, s.Ok);
        Assert.Equal(fast.Scenario("echo").Scheduled + slow.Scenario("echo").Scheduled, s.Scheduled);
        LongHistogram added = Added([fast, slow]);
        Assert.Equal(added.TotalCount, s.ResponseTime.Count);
        Assert.All(merged.Run.Percentiles, p => Assert.Equal(added.GetValueAtPercentile(p), s.ResponseTime.At(p)));
        Assert.Equal(100, s.ResponseTime.At(50));
        Assert.InRange(s.ResponseTime.At(99)!.Value, 10_000, 10_007);
        Assert.InRange(s.ResponseTime.Max, 20_000, 20_015);
        long averaged = (fast.Scenario("echo").ResponseTime.At(99)!.Value + slow.Scenario("echo").ResponseTime.At(99)!.Value) / 2;
        Assert.NotEqual(averaged, s.ResponseTime.At(99));

        // Interval k adds every worker's interval k; the slow worker's extra interval stands alone.
        Assert.Equal([1030, 1010, 1], s.Intervals.Select(i => i.Ok));
        Assert.Equal(s.Ok, s.Intervals.Sum(i => i.Ok));
        Assert.InRange(s.Intervals[2].P99, 20_000, 20_015);

        // The merged log holds the same intervals, so it merges back to the same totals.
        HistogramBase[] log = [.. HistogramLogTags.Read(s.HistogramLog!)];
        Assert.Equal(3 * HistogramLogTags.All.Count, log.Length);
        Assert.Equal(s.Ok, log.Where(h => h.Tag is null).Sum(h => h.TotalCount));

        Assert.Equal(2, merged.Run.Workers);
        Assert.False(Assert.Single(merged.Thresholds).Passed);
    }

    private static LongHistogram Added(IEnumerable<LoadResult> workers)
    {
        LongHistogram sum = ScenarioTotals.NewHistogram();
        foreach (HistogramBase h in workers.SelectMany(w => HistogramLogTags.Read(w.Scenario("echo").HistogramLog!)).Where(h => h.Tag is null))
        {
            sum.Add(h);
        }

        return sum;
    }

    /// <summary>A worker's result whose calls took exactly the given microseconds, one array per interval.</summary>
    private static LoadResult Worker(long[][] intervals)
    {
        var started = DateTimeOffset.UnixEpoch.AddYears(56);
        using var recorder = new ScenarioRecorder(Frequency, started);
        for (int k = 0; k < intervals.Length; k++)
        {
            foreach (long micros in intervals[k])
            {
                recorder.Record(0, 0, micros, Response.Ok(64));
            }

            recorder.Sample(k + 1, 100);
        }

        int calls = intervals.Sum(i => i.Length);
        ScenarioResult scenario = recorder.Finish(
            new ScenarioResultHeader("echo", null, "open", "inject rate=50 interval=1s during=3s", intervals.Length, calls, calls / (double)intervals.Length, []),
            LatencySummary.DefaultPercentiles);
        return new LoadResult
        {
            Run = Runs.Info(LatencySummary.DefaultPercentiles, started) with { DurationSeconds = intervals.Length },
            Scenarios = [scenario],
            Health = new GeneratorHealth { Hiccups = LatencySummary.Empty, Valid = true, Problems = [], Warnings = [] },
            Thresholds = [],
        };
    }
}
