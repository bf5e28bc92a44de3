using HdrHistogram;

namespace PeerEngine.Load.Measurement;

/// <summary>
/// A scenario's whole-run counts and histograms: what its result is computed from. Totals add up
/// exactly (histograms bucket by bucket, never percentile by percentile), which is how the results
/// of several worker processes become one.
/// </summary>
internal sealed class ScenarioTotals
{
    public LongHistogram Response { get; } = NewHistogram();

    public LongHistogram Service { get; } = NewHistogram();

    public LongHistogram StartLag { get; } = NewHistogram();

    public LongHistogram FailResponse { get; } = NewHistogram();

    public long Ok { get; set; }

    public long Fail { get; set; }

    public long Bytes { get; set; }

    public long Dropped { get; set; }

    public long Late { get; set; }

    public SortedDictionary<string, long> ErrorsByCode { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, long> ErrorsByType { get; } = new(StringComparer.Ordinal);

    private Dictionary<(string Code, string? Exception), ErrorTally> Errors { get; } = [];

    /// <summary>Counts a kind of failure; one already counted (another worker's) is merged with it.</summary>
    public void AddError(ErrorTally tally) =>
        Errors[tally.Key] = Errors.TryGetValue(tally.Key, out ErrorTally? seen) ? seen.Merge(tally) : tally;

    public static LongHistogram NewHistogram() => new(1, ScenarioRecorder.HighestMicros, ScenarioRecorder.Digits);

    /// <summary>Adds a finished result's counts and the histograms of its log (<see cref="HistogramLogTags"/>).</summary>
    public void Add(ScenarioResult result)
    {
        Ok += result.Ok;
        Fail += result.Fail;
        Bytes += result.Bytes;
        Dropped += result.Dropped;
        Late += result.Late;
        AddAll(ErrorsByCode, result.ErrorsByCode);
        AddAll(ErrorsByType, result.ErrorsByType);
        foreach (ErrorTally tally in result.Errors)
        {
            AddError(tally);
        }
        foreach (HistogramBase interval in HistogramLogTags.Read(result.HistogramLog ?? throw new ArgumentException($"{result.Name}: the result carries no histogram log.", nameof(result))))
        {
            Of(interval.Tag).Add(interval);
        }
    }

    /// <summary>The whole-run histogram a log entry with <paramref name="tag"/> belongs to.</summary>
    public LongHistogram Of(string? tag) => tag switch
    {
        null => Response,
        HistogramLogTags.Service => Service,
        HistogramLogTags.StartLag => StartLag,
        HistogramLogTags.FailResponse => FailResponse,
        _ => throw new FormatException($"unknown histogram log tag '{tag}'."),
    };

    public ScenarioResult ToResult(ScenarioResultHeader header, IReadOnlyList<IntervalStats> intervals, byte[]? histogramLog, IReadOnlyList<double> percentiles)
    {
        double seconds = Math.Max(header.DurationSeconds, 1e-9);
        return new ScenarioResult
        {
            Name = header.Name,
            Description = header.Description,
            Model = header.Model,
            Plan = header.Plan,
            DurationSeconds = Math.Round(header.DurationSeconds, 6),
            Scheduled = header.Scheduled,
            TargetRps = Math.Round(header.TargetRps, 3),
            Ok = Ok,
            Fail = Fail,
            Dropped = Dropped,
            Late = Late,
            Bytes = Bytes,
            Rps = Math.Round((Ok + Fail) / seconds, 3),
            OkRps = Math.Round(Ok / seconds, 3),
            FailRps = Math.Round(Fail / seconds, 3),
            BytesPerSecond = Math.Round(Bytes / seconds, 3),
            FailRate = Ok + Fail == 0 ? 0 : Math.Round(Fail / (double)(Ok + Fail), 9),
            ResponseTime = LatencySummary.From(Response, percentiles),
            ServiceTime = LatencySummary.From(Service, percentiles),
            StartLag = LatencySummary.From(StartLag, percentiles),
            FailResponseTime = LatencySummary.From(FailResponse, percentiles),
            ErrorsByCode = new SortedDictionary<string, long>(ErrorsByCode, StringComparer.Ordinal),
            ErrorsByType = new SortedDictionary<string, long>(ErrorsByType, StringComparer.Ordinal),
            Errors = [.. Errors.Values.OrderByDescending(e => e.Count).ThenBy(e => e.FirstSeconds).ThenBy(e => e.Code, StringComparer.Ordinal)],
            Intervals = [.. intervals],
            Spectrum = Spectrum(),
            ResponseBuckets = LatencyBucket.Of(Response),
            Notes = header.Notes,
            HistogramLog = histogramLog,
        };
    }

    private static void AddAll(SortedDictionary<string, long> into, IReadOnlyDictionary<string, long> counts)
    {
        foreach ((string key, long count) in counts)
        {
            into[key] = into.GetValueOrDefault(key) + count;
        }
    }

    /// <summary>
    /// The percentiles a spectrum of <paramref name="count"/> samples is drawn at: 1 − 10^(−k/4), evenly
    /// spaced on the log "number of nines" axis the chart uses, stopping once the histogram has fewer
    /// samples than the next level resolves, then 100 (the max).
    /// </summary>
    public static IReadOnlyList<double> SpectrumPercentiles(long count)
    {
        var percentiles = new List<double>();
        for (int k = 0; k == 0 || Math.Pow(10, k / 4.0) <= count; k++)
        {
            percentiles.Add(100 * (1 - Math.Pow(10, -k / 4.0)));
        }

        percentiles.Add(100);
        return percentiles;
    }

    /// <summary>The value at <paramref name="percentile"/>, the max at 100.</summary>
    public static long ValueAt(HistogramBase histogram, double percentile) =>
        percentile >= 100 ? histogram.GetMaxValue() : histogram.GetValueAtPercentile(percentile);

    private SpectrumPoint[] Spectrum() => Response.TotalCount == 0
        ? []
        : [.. SpectrumPercentiles(Response.TotalCount).Select(p => new SpectrumPoint(Math.Round(p, 6), ValueAt(Response, p), ValueAt(Service, p)))];
}
