using PeerEngine.Host.Commands;

namespace PeerEngine.Tests.Cli;

/// <summary><c>send --count</c>'s latencies: a fixed size whatever the count, percentiles within 1 %.</summary>
public sealed class LatencyHistogramTests
{
    [Fact]
    public void Percentiles_are_within_one_percent_above_the_exact_ones_and_the_maximum_is_exact()
    {
        var histogram = new LatencyHistogram();
        var random = new Random(7);
        double[] exact = new double[20_000];
        for (int i = 0; i < exact.Length; i++)
        {
            // 5 µs to 5 s, spread over six decades, in whole ticks as a TimeSpan holds them.
            TimeSpan latency = TimeSpan.FromMilliseconds(0.005 * Math.Pow(10, random.NextDouble() * 6));
            exact[i] = latency.TotalMilliseconds;
            histogram.Record(latency);
        }

        Array.Sort(exact);
        foreach (double fraction in new[] { 0.01, 0.5, 0.9, 0.99, 0.999 })
        {
            double truth = exact[(int)Math.Ceiling(fraction * exact.Length) - 1];
            double reported = histogram.Percentile(fraction);
            Assert.InRange(reported, truth * 0.999, truth * 1.0101);
        }

        Assert.Equal(exact.Length, histogram.Count);
        Assert.Equal(exact[^1], histogram.MaxMilliseconds, 3);
        Assert.Equal(histogram.MaxMilliseconds, histogram.Percentile(1));
    }

    [Fact]
    public void Nothing_recorded_reads_as_not_a_number()
    {
        var histogram = new LatencyHistogram();

        Assert.True(double.IsNaN(histogram.Percentile(0.5)));
        Assert.True(double.IsNaN(histogram.MaxMilliseconds));
    }

    [Fact]
    public void Latencies_outside_the_range_land_in_the_end_buckets()
    {
        var histogram = new LatencyHistogram();
        histogram.Record(TimeSpan.Zero);
        histogram.Record(TimeSpan.FromDays(2));

        Assert.Equal(0.001, histogram.Percentile(0.5), 6);
        Assert.Equal(TimeSpan.FromDays(2).TotalMilliseconds, histogram.Percentile(1));
    }

    [Fact]
    public async Task Concurrent_recorders_lose_nothing()
    {
        var histogram = new LatencyHistogram();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                histogram.Record(TimeSpan.FromMicroseconds(100 + worker));
            }
        })));

        Assert.Equal(80_000, histogram.Count);
        Assert.Equal(0.107, histogram.MaxMilliseconds, 6);
    }
}
