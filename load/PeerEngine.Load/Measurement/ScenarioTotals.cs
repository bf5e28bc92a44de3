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
            BytesPerSecond = Math.Round(Bytes / seconds, 3),
            FailRate = Ok + Fail == 0 ? 0 : Math.Round(Fail / (double)(Ok + Fail), 9),
            ResponseTime = LatencySummary.From(Response, percentiles),
            ServiceTime = LatencySummary.From(Service, percentiles),
            StartLag = LatencySummary.From(StartLag, percentiles),
            FailResponseTime = LatencySummary.From(FailResponse, percentiles),
            ErrorsByCode = new SortedDictionary<string, long>(ErrorsByCode, StringComparer.Ordinal),
            ErrorsByType = new SortedDictionary<string, long>(ErrorsByType, StringComparer.Ordinal),
            Intervals = [.. intervals],
            Spectrum = Spectrum(),
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

    private SpectrumPoint[] Spectrum()
    {
        if (Response.TotalCount == 0)
        {
            return [];
        }

        // Points at 1 − 10^(−k/4): evenly spaced on the log "number of nines" axis the chart uses,
        // stopping once the histogram has fewer samples than the next level resolves.
        var points = new List<SpectrumPoint>();
        for (int k = 0; ; k++)
        {
            double percentile = 100 * (1 - Math.Pow(10, -k / 4.0));
            if (k > 0 && Math.Pow(10, k / 4.0) > Response.TotalCount)
            {
                break;
            }

            points.Add(new SpectrumPoint(Math.Round(percentile, 6), Response.GetValueAtPercentile(percentile), Service.GetValueAtPercentile(percentile)));
        }

        points.Add(new SpectrumPoint(100, Response.GetMaxValue(), Service.GetMaxValue()));
        return [.. points];
    }
}
