using System.Diagnostics;
using HdrHistogram;

namespace PeerEngine.Load.Measurement;

/// <summary>
/// The generator's own stalls, jHiccup's way: a thread asks to sleep 1 ms over and over and records
/// by how much each sleep overshoots. A GC pause or a starved core shows up here as it would in
/// every latency the generator measures, so a reader can tell the target's hiccups from ours.
/// </summary>
internal sealed class HiccupMeter : IDisposable
{
    private readonly LongHistogram _histogram = new(1, ScenarioRecorder.HighestMicros, 3);
    private readonly Thread _thread;
    private volatile bool _stopping;

    public HiccupMeter()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "load hiccup meter", Priority = ThreadPriority.AboveNormal };
    }

    public void Start() => _thread.Start();

    /// <summary>Stops the meter and returns the overshoots in microseconds.</summary>
    public LatencySummary Stop()
    {
        _stopping = true;
        _thread.Join();
        return LatencySummary.From(_histogram, [50, 99, 99.9]);
    }

    public void Dispose()
    {
        _stopping = true;
        if (_thread.IsAlive)
        {
            _thread.Join();
        }
    }

    private void Run()
    {
        while (!_stopping)
        {
            long before = Stopwatch.GetTimestamp();
            Thread.Sleep(1);
            double overshoot = Stopwatch.GetElapsedTime(before).TotalMicroseconds - 1_000;
            _histogram.RecordValue(Math.Clamp((long)overshoot, 0, ScenarioRecorder.HighestMicros));
        }
    }
}
