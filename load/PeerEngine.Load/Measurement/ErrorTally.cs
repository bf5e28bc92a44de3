using System.Globalization;
using System.Text.Json.Serialization;

namespace PeerEngine.Load.Measurement;

/// <summary>
/// One kind of failure of a scenario (its error code and, when the step threw, the exception's type):
/// how many calls failed that way, one message as a sample, and when the first and the last of them ended,
/// in seconds from the run's start, so an outage reads as a span of the run.
/// </summary>
internal sealed record ErrorTally(string Code, string? Exception, long Count, string? Sample, double FirstSeconds, double LastSeconds)
{
    /// <summary>The kind of failure this is, the key tallies of several workers are merged on.</summary>
    [JsonIgnore]
    public (string Code, string? Exception) Key => (Code, Exception);

    /// <summary>The first and last occurrence as a reader takes them: <c>2.1 s – 4.9 s</c>.</summary>
    [JsonIgnore]
    public string Span => Seconds(FirstSeconds) is var first && Seconds(LastSeconds) is var last && first != last
        ? $"{first} – {last}"
        : first;

    /// <summary>Both tallies of one kind as one: counts added, the earliest first, the latest last, the first's sample.</summary>
    public ErrorTally Merge(ErrorTally other) => this with
    {
        Count = Count + other.Count,
        Sample = Sample ?? other.Sample,
        FirstSeconds = Math.Min(FirstSeconds, other.FirstSeconds),
        LastSeconds = Math.Max(LastSeconds, other.LastSeconds),
    };

    /// <summary>The message on one line (a table row, a console line), or null for no message.</summary>
    public static string? SampleOf(string? message) =>
        string.IsNullOrWhiteSpace(message) ? null : message.ReplaceLineEndings(" ").Trim();

    private static string Seconds(double seconds) => string.Create(CultureInfo.InvariantCulture, $"{seconds:0.0##} s");
}

/// <summary>Counts one kind of failure from many threads at once; <see cref="ToTally"/> reads it on one.</summary>
internal sealed class ErrorCounter
{
    private long _count;
    private long _first = long.MaxValue;
    private long _last = long.MinValue;
    private string? _sample;

    /// <summary>Counts a failed call that ended at <paramref name="ended"/> (a timestamp) with <paramref name="message"/>.</summary>
    public void Add(long ended, string? message)
    {
        Interlocked.Increment(ref _count);
        if (_sample is null && ErrorTally.SampleOf(message) is { } sample)
        {
            Interlocked.CompareExchange(ref _sample, sample, null);
        }

        long seen = Volatile.Read(ref _first);
        while (ended < seen && Interlocked.CompareExchange(ref _first, ended, seen) is var was && was != seen)
        {
            seen = was;
        }

        seen = Volatile.Read(ref _last);
        while (ended > seen && Interlocked.CompareExchange(ref _last, ended, seen) is var was && was != seen)
        {
            seen = was;
        }
    }

    /// <param name="secondsSinceStart">Turns a timestamp into seconds from the run's start.</param>
    public ErrorTally ToTally(string code, string? exception, Func<long, double> secondsSinceStart) => new(
        code,
        exception,
        Interlocked.Read(ref _count),
        Volatile.Read(ref _sample),
        Math.Round(secondsSinceStart(Interlocked.Read(ref _first)), 6),
        Math.Round(secondsSinceStart(Interlocked.Read(ref _last)), 6));
}
