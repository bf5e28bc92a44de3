using System.Collections.Concurrent;
using HdrHistogram;
using PeerEngine.Load.Scenarios;

namespace PeerEngine.Load.Measurement;

/// <summary>
/// Records every call of one scenario from many threads at once without locks (HdrHistogram
/// <see cref="Recorder"/>s), and turns them into interval and whole-run statistics on one thread.
/// All latencies are in microseconds, from 1 µs to 1 h at 3 significant digits.
/// </summary>
internal sealed class ScenarioRecorder : IDisposable
{
    public const long HighestMicros = 3_600_000_000;
    private const int Digits = 3;

    private readonly Recorder _response = NewRecorder();
    private readonly Recorder _service = NewRecorder();
    private readonly Recorder _lag = NewRecorder();
    private readonly Recorder _failResponse = NewRecorder();
    private readonly LongHistogram _responseTotal = NewHistogram();
    private readonly LongHistogram _serviceTotal = NewHistogram();
    private readonly LongHistogram _lagTotal = NewHistogram();
    private readonly LongHistogram _failTotal = NewHistogram();
    private readonly ConcurrentDictionary<string, long> _byCode = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _byType = new(StringComparer.Ordinal);
    private readonly List<IntervalStats> _intervals = [];
    private readonly MemoryStream _log = new();
    private readonly HistogramLogWriter _logWriter;
    private readonly double _microsPerTick;
    private readonly DateTimeOffset _startedUtc;
    private long _ok;
    private long _fail;
    private long _bytes;
    private long _dropped;
    private long _late;
    private (long Ok, long Fail, long Bytes, long Dropped) _sampled;
    private double _lastSampleSeconds;

    public ScenarioRecorder(long timestampFrequency, DateTimeOffset startedUtc)
    {
        _microsPerTick = 1_000_000.0 / timestampFrequency;
        _startedUtc = startedUtc;
        _logWriter = new HistogramLogWriter(_log);
        _logWriter.Write(startedUtc.UtcDateTime);
    }

    public long Completed => Interlocked.Read(ref _ok) + Interlocked.Read(ref _fail);

    public IReadOnlyList<IntervalStats> Intervals => _intervals;

    /// <summary>Records one call. Timestamps are the run's <see cref="TimeProvider"/> timestamps.</summary>
    public void Record(long intended, long started, long ended, in Response response, Exception? exception = null)
    {
        long responseMicros = Micros(ended - intended);
        _lag.RecordValue(Micros(started - intended));
        Interlocked.Add(ref _bytes, response.SizeBytes);
        if (response.IsOk)
        {
            Interlocked.Increment(ref _ok);
            _response.RecordValue(responseMicros);
            _service.RecordValue(Micros(ended - started));
            return;
        }

        Interlocked.Increment(ref _fail);
        _failResponse.RecordValue(responseMicros);
        _byCode.AddOrUpdate(response.StatusCode ?? "unknown", 1, static (_, n) => n + 1);
        if (exception is not null)
        {
            _byType.AddOrUpdate(exception.GetType().FullName ?? exception.GetType().Name, 1, static (_, n) => n + 1);
        }
    }

    public void RecordDropped() => Interlocked.Increment(ref _dropped);

    public void RecordLate() => Interlocked.Increment(ref _late);

    /// <summary>Closes the interval that ends <paramref name="endSeconds"/> after the start; one caller at a time.</summary>
    public IntervalStats Sample(double endSeconds, double planned)
    {
        HistogramBase response = Drain();

        response.StartTimeStamp = _startedUtc.AddSeconds(_lastSampleSeconds).ToUnixTimeMilliseconds();
        response.EndTimeStamp = _startedUtc.AddSeconds(endSeconds).ToUnixTimeMilliseconds();
        _logWriter.Append(response);

        var now = (Ok: Interlocked.Read(ref _ok), Fail: Interlocked.Read(ref _fail), Bytes: Interlocked.Read(ref _bytes), Dropped: Interlocked.Read(ref _dropped));
        double seconds = Math.Max(endSeconds - _lastSampleSeconds, 1e-9);
        var stats = new IntervalStats
        {
            EndSeconds = Math.Round(endSeconds, 6),
            Seconds = Math.Round(seconds, 6),
            Ok = now.Ok - _sampled.Ok,
            Fail = now.Fail - _sampled.Fail,
            Bytes = now.Bytes - _sampled.Bytes,
            Dropped = now.Dropped - _sampled.Dropped,
            Rps = Math.Round((now.Ok - _sampled.Ok + now.Fail - _sampled.Fail) / seconds, 3),
            Planned = Math.Round(planned, 3),
            P50 = response.TotalCount == 0 ? 0 : response.GetValueAtPercentile(50),
            P90 = response.TotalCount == 0 ? 0 : response.GetValueAtPercentile(90),
            P99 = response.TotalCount == 0 ? 0 : response.GetValueAtPercentile(99),
            Max = response.TotalCount == 0 ? 0 : response.GetMaxValue(),
        };
        _sampled = now;
        _lastSampleSeconds = endSeconds;
        _intervals.Add(stats);
        return stats;
    }

    /// <summary>The whole run; what was recorded since the last <see cref="Sample"/> is counted too.</summary>
    public ScenarioResult Finish(ScenarioResultHeader header, IReadOnlyList<double> percentiles)
    {
        _ = Drain();
        long ok = Interlocked.Read(ref _ok);
        long fail = Interlocked.Read(ref _fail);
        long bytes = Interlocked.Read(ref _bytes);
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
            Ok = ok,
            Fail = fail,
            Dropped = Interlocked.Read(ref _dropped),
            Late = Interlocked.Read(ref _late),
            Bytes = bytes,
            Rps = Math.Round((ok + fail) / seconds, 3),
            OkRps = Math.Round(ok / seconds, 3),
            BytesPerSecond = Math.Round(bytes / seconds, 3),
            FailRate = ok + fail == 0 ? 0 : Math.Round(fail / (double)(ok + fail), 9),
            ResponseTime = LatencySummary.From(_responseTotal, percentiles),
            ServiceTime = LatencySummary.From(_serviceTotal, percentiles),
            StartLag = LatencySummary.From(_lagTotal, percentiles),
            FailResponseTime = LatencySummary.From(_failTotal, percentiles),
            ErrorsByCode = new SortedDictionary<string, long>(_byCode, StringComparer.Ordinal),
            ErrorsByType = new SortedDictionary<string, long>(_byType, StringComparer.Ordinal),
            Intervals = [.. _intervals],
            Spectrum = Spectrum(),
            Notes = header.Notes,
            HistogramLog = LogBytes(),
        };
    }

    public void Dispose()
    {
        _logWriter.Dispose();
        _log.Dispose();
    }

    private byte[] LogBytes()
    {
        // The writer buffers text; disposing it flushes, and a disposed MemoryStream still hands out its bytes.
        _logWriter.Dispose();
        return _log.ToArray();
    }

    /// <summary>Moves what the recorders hold into the totals and returns the response-time part.</summary>
    private HistogramBase Drain()
    {
        HistogramBase response = _response.GetIntervalHistogram();
        _responseTotal.Add(response);
        _serviceTotal.Add(_service.GetIntervalHistogram());
        _lagTotal.Add(_lag.GetIntervalHistogram());
        _failTotal.Add(_failResponse.GetIntervalHistogram());
        return response;
    }

    private SpectrumPoint[] Spectrum()
    {
        if (_responseTotal.TotalCount == 0)
        {
            return [];
        }

        // Points at 1 − 10^(−k/4): evenly spaced on the log "number of nines" axis the chart uses,
        // stopping once the histogram has fewer samples than the next level resolves.
        var points = new List<SpectrumPoint>();
        for (int k = 0; ; k++)
        {
            double percentile = 100 * (1 - Math.Pow(10, -k / 4.0));
            if (k > 0 && Math.Pow(10, k / 4.0) > _responseTotal.TotalCount)
            {
                break;
            }

            points.Add(new SpectrumPoint(Math.Round(percentile, 6), _responseTotal.GetValueAtPercentile(percentile), _serviceTotal.GetValueAtPercentile(percentile)));
        }

        points.Add(new SpectrumPoint(100, _responseTotal.GetMaxValue(), _serviceTotal.GetMaxValue()));
        return [.. points];
    }

    private long Micros(long ticks) => Math.Clamp((long)Math.Round(ticks * _microsPerTick), 0, HighestMicros);

    private static Recorder NewRecorder() =>
        new(1, HighestMicros, Digits, static (id, lowest, highest, digits) => new LongConcurrentHistogram(id, lowest, highest, digits));

    private static LongHistogram NewHistogram() => new(1, HighestMicros, Digits);
}
