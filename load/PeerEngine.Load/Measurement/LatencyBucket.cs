using HdrHistogram;
using HdrHistogram.Iteration;

namespace PeerEngine.Load.Measurement;

/// <summary>
/// One bar of a latency histogram: the calls whose latency was above the previous bucket's bound and
/// at most <see cref="UpToMicros"/>. Bounds run 1, 2, 5 times each power of ten (µs), so a bar is as
/// wide on the chart's log axis at 100 µs as at 100 ms.
/// </summary>
internal sealed record LatencyBucket(long UpToMicros, long Count)
{
    /// <summary>
    /// The buckets of <paramref name="histogram"/> from the one holding its smallest value to the one
    /// holding its largest; none for an empty histogram.
    /// </summary>
    public static IReadOnlyList<LatencyBucket> Of(HistogramBase histogram)
    {
        if (histogram.TotalCount == 0)
        {
            return [];
        }

        var counts = new SortedDictionary<long, long>();
        foreach (HistogramIterationValue value in histogram.RecordedValues())
        {
            long bound = BoundAbove(histogram.HighestEquivalentValue(value.ValueIteratedTo));
            counts[bound] = counts.GetValueOrDefault(bound) + value.CountAtValueIteratedTo;
        }

        // Every bound between the first and the last, empty ones too: a gap in the distribution shows as one.
        var buckets = new List<LatencyBucket>();
        for (long bound = counts.Keys.First(); bound <= counts.Keys.Last(); bound = Next(bound))
        {
            buckets.Add(new LatencyBucket(bound, counts.GetValueOrDefault(bound)));
        }

        return buckets;
    }

    /// <summary>The smallest bound of the 1-2-5 series at or above <paramref name="micros"/>.</summary>
    public static long BoundAbove(long micros)
    {
        long bound = 1;
        while (bound < micros)
        {
            bound = Next(bound);
        }

        return bound;
    }

    private static long Next(long bound)
    {
        long decade = 1;
        while (decade * 10 <= bound)
        {
            decade *= 10;
        }

        return (bound / decade) switch
        {
            1 => 2 * decade,
            2 => 5 * decade,
            _ => 10 * decade,
        };
    }
}
