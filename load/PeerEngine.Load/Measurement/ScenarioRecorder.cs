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
    public const int Digits = 3;

    /// <summary>
    /// Sampling an interval loads assemblies on first use (System.Threading.Tasks for the recorder's
    /// phase flip, System.IO.Compression for the log), and loading one takes a file descriptor. First
    /// used at the end of the first interval, they failed (FileNotFoundException) in a churn run that
    /// had used every descriptor; one sample here, before any call, loads them for the whole run.
    /// </summary>
    private static readonly Lazy<bool> SamplingLoaded = new(static () =>
    {
        Recorder recorder = NewRecorder();
        recorder.RecordValue(1);
        using var writer = new HistogramLogWriter(Stream.Null);
        writer.Append(recorder.GetIntervalHistogram());
        return true;
    });

    private readonly Recorder _response = NewRecorder();
    private readonly Recorder _service = NewRecorder();
    private readonly Recorder _lag = NewRecorder();
    private readonly Recorder _failResponse = NewRecorder();
    private readonly Recorder[] _inLogOrder;
    private readonly ScenarioTotals _totals = new();
    private readonly ConcurrentDictionary<string, long> _byCode = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _byType = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Code, string? Exception), ErrorCounter> _errors = new();
    private readonly List<IntervalStats> _intervals = [];
    private readonly MemoryStream _log = new();
    private readonly HistogramLogWriter _logWriter;
    private readonly double _microsPerTick;
    private readonly DateTimeOffset _startedUtc;
    private readonly long _origin;
    private long _ok;
    private long _fail;
    private long _bytes;
    private long _dropped;
    private long _late;
    private (long Ok, long Fail, long Bytes, long Dropped) _sampled;
    private double _lastSampleSeconds;

    /// <param name="timestampFrequency">Ticks per second of the timestamps <see cref="Record"/> is given.</param>
    /// <param name="startedUtc">When the run started, for the histogram log.</param>
    /// <param name="origin">The run's start as a timestamp: errors' first and last occurrences are told from it.</param>
    public ScenarioRecorder(long timestampFrequency, DateTimeOffset startedUtc, long origin = 0)
    {
        _origin = origin;
        _ = SamplingLoaded.Value;
        _microsPerTick = 1_000_000.0 / timestampFrequency;
        _startedUtc = startedUtc;
        _inLogOrder = [_response, _service, _lag, _failResponse];
        _logWriter = new HistogramLogWriter(_log);
        _logWriter.Write(startedUtc.UtcDateTime);
    }

    /// <summary>Told each successful call's response time in microseconds, as it is recorded (the live export); null for none.</summary>
    public Action<long>? ResponseObserver { get; init; }

    public long Completed => Interlocked.Read(ref _ok) + Interlocked.Read(ref _fail);

    public IReadOnlyList<IntervalStats> Intervals => _intervals;

    /// <summary>Seconds from the start to the end of the last sampled interval (0 before the first): where the next interval begins.</summary>
    public double SampledTo => _lastSampleSeconds;

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
            ResponseObserver?.Invoke(responseMicros);
            return;
        }

        Interlocked.Increment(ref _fail);
        _failResponse.RecordValue(responseMicros);
        string code = response.StatusCode ?? "unknown";
        string? type = exception is null ? null : exception.GetType().FullName ?? exception.GetType().Name;
        _byCode.AddOrUpdate(code, 1, static (_, n) => n + 1);
        if (type is not null)
        {
            _byType.AddOrUpdate(type, 1, static (_, n) => n + 1);
        }

        _errors.GetOrAdd((code, type), static _ => new ErrorCounter()).Add(ended, exception?.Message ?? response.Message);
    }

    public void RecordDropped() => Interlocked.Increment(ref _dropped);

    public void RecordLate() => Interlocked.Increment(ref _late);

    /// <summary>Closes the interval that ends <paramref name="endSeconds"/> after the start; one caller at a time.</summary>
    public IntervalStats Sample(double endSeconds, double planned)
    {
        HistogramBase[] interval = Drain();
        foreach (HistogramBase histogram in interval)
        {
            histogram.StartTimeStamp = _startedUtc.AddSeconds(_lastSampleSeconds).ToUnixTimeMilliseconds();
            histogram.EndTimeStamp = _startedUtc.AddSeconds(endSeconds).ToUnixTimeMilliseconds();
            _logWriter.Append(histogram);
        }

        var now = (Ok: Interlocked.Read(ref _ok), Fail: Interlocked.Read(ref _fail), Bytes: Interlocked.Read(ref _bytes), Dropped: Interlocked.Read(ref _dropped));
        double seconds = Math.Max(endSeconds - _lastSampleSeconds, 1e-9);
        IntervalStats stats = new IntervalStats
        {
            EndSeconds = Math.Round(endSeconds, 6),
            Seconds = Math.Round(seconds, 6),
            Ok = now.Ok - _sampled.Ok,
            Fail = now.Fail - _sampled.Fail,
            Bytes = now.Bytes - _sampled.Bytes,
            Dropped = now.Dropped - _sampled.Dropped,
            Rps = Math.Round((now.Ok - _sampled.Ok + now.Fail - _sampled.Fail) / seconds, 3),
            OkRps = Math.Round((now.Ok - _sampled.Ok) / seconds, 3),
            FailRps = Math.Round((now.Fail - _sampled.Fail) / seconds, 3),
            Planned = Math.Round(planned, 3),
        }.WithLatencies(interval[0]).WithStartLag(interval.First(h => h.Tag == HistogramLogTags.StartLag));
        _sampled = now;
        _lastSampleSeconds = endSeconds;
        _intervals.Add(stats);
        return stats;
    }

    /// <summary>The whole run; what was recorded since the last <see cref="Sample"/> is counted too.</summary>
    public ScenarioResult Finish(ScenarioResultHeader header, IReadOnlyList<double> percentiles)
    {
        _ = Drain();
        _totals.Ok = Interlocked.Read(ref _ok);
        _totals.Fail = Interlocked.Read(ref _fail);
        _totals.Bytes = Interlocked.Read(ref _bytes);
        _totals.Dropped = Interlocked.Read(ref _dropped);
        _totals.Late = Interlocked.Read(ref _late);
        foreach ((string code, long count) in _byCode)
        {
            _totals.ErrorsByCode[code] = count;
        }

        foreach ((string type, long count) in _byType)
        {
            _totals.ErrorsByType[type] = count;
        }

        foreach (((string code, string? type), ErrorCounter counter) in _errors)
        {
            _totals.AddError(counter.ToTally(code, type, at => (at - _origin) * _microsPerTick / 1_000_000));
        }

        return _totals.ToResult(header, _intervals, LogBytes(), percentiles);
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

    /// <summary>Moves what the recorders hold into the totals and returns it, tagged, in the order of <see cref="HistogramLogTags.All"/>.</summary>
    private HistogramBase[] Drain()
    {
        var interval = new HistogramBase[_inLogOrder.Length];
        for (int i = 0; i < interval.Length; i++)
        {
            interval[i] = _inLogOrder[i].GetIntervalHistogram();
            interval[i].Tag = HistogramLogTags.All[i];
            _totals.Of(HistogramLogTags.All[i]).Add(interval[i]);
        }

        return interval;
    }

    private long Micros(long ticks) => Math.Clamp((long)Math.Round(ticks * _microsPerTick), 0, HighestMicros);

    private static Recorder NewRecorder() =>
        new(1, HighestMicros, Digits, static (id, lowest, highest, digits) => new LongConcurrentHistogram(id, lowest, highest, digits));
}
