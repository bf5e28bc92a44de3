namespace PeerEngine.Host.Commands;

/// <summary>
/// The latencies of <c>send --count</c> in a fixed number of buckets, each 1 % wider than the one
/// before, so that any count of requests takes the same memory (a few KiB) and a percentile is
/// within 1 % of the exact one. Thread-safe: the concurrent senders record into it directly.
/// </summary>
internal sealed class LatencyHistogram
{
    private const double Growth = 1.01;

    // 1 µs to over 4 hours at 1 % steps; anything outside goes to the first or last bucket.
    private const double SmallestMilliseconds = 0.001;
    private const int Buckets = 2_300;

    private static readonly double LogGrowth = Math.Log(Growth);

    private readonly long[] _counts = new long[Buckets];
    private long _total;
    private long _maxTicks;

    /// <summary>The latencies recorded.</summary>
    public long Count => Volatile.Read(ref _total);

    /// <summary>The largest latency recorded, exactly, in milliseconds; NaN when none was.</summary>
    public double MaxMilliseconds => Count == 0 ? double.NaN : TimeSpan.FromTicks(Volatile.Read(ref _maxTicks)).TotalMilliseconds;

    public void Record(TimeSpan latency)
    {
        Interlocked.Increment(ref _counts[BucketOf(latency.TotalMilliseconds)]);
        Interlocked.Increment(ref _total);
        long ticks = latency.Ticks;
        long max = Volatile.Read(ref _maxTicks);
        while (ticks > max)
        {
            long seen = Interlocked.CompareExchange(ref _maxTicks, ticks, max);
            if (seen == max)
            {
                break;
            }

            max = seen;
        }
    }

    /// <summary>
    /// The latency <paramref name="fraction"/> of the recorded ones are at or below (0.5 for the
    /// median), in milliseconds: the upper edge of its bucket, capped at the maximum; NaN when none
    /// was recorded.
    /// </summary>
    public double Percentile(double fraction)
    {
        long total = Count;
        if (total == 0)
        {
            return double.NaN;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(fraction * total));
        long seen = 0;
        for (int bucket = 0; bucket < Buckets; bucket++)
        {
            seen += Volatile.Read(ref _counts[bucket]);
            if (seen >= rank)
            {
                // The last bucket has no upper edge: it holds everything beyond the range.
                return bucket == Buckets - 1 ? MaxMilliseconds : Math.Min(UpperEdge(bucket), MaxMilliseconds);
            }
        }

        return MaxMilliseconds;
    }

    private static int BucketOf(double milliseconds) => milliseconds <= SmallestMilliseconds
        ? 0
        : Math.Min(Buckets - 1, (int)Math.Ceiling(Math.Log(milliseconds / SmallestMilliseconds) / LogGrowth));

    private static double UpperEdge(int bucket) => SmallestMilliseconds * Math.Pow(Growth, bucket);
}
