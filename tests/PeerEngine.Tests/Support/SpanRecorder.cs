using System.Collections.Concurrent;
using System.Diagnostics;

namespace PeerEngine.Tests.Support;

/// <summary>
/// Listens to the engine's source (and the tests' own) with every span recorded, and keeps the spans
/// of one trace: listeners are process-wide and other tests run alongside, so each test starts a root
/// span of its own and looks only at its trace.
/// </summary>
internal sealed class SpanRecorder : IDisposable
{
    public static readonly ActivitySource TestSource = new("PeerEngine.Tests");

    private readonly ActivityListener _listener;
    private readonly ConcurrentQueue<Activity> _stopped = new();

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is PeerEngineActivities.SourceName or "PeerEngine.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>Every finished span recorded so far.</summary>
    public IReadOnlyList<Activity> All => [.. _stopped];

    /// <summary>The engine's finished spans of trace <paramref name="traceId"/>.</summary>
    public IReadOnlyList<Activity> Of(ActivityTraceId traceId) =>
        [.. _stopped.Where(a => a.TraceId == traceId && a.Source.Name == PeerEngineActivities.SourceName)];

    /// <summary>Waits until trace <paramref name="traceId"/> has <paramref name="count"/> finished engine spans (a server span ends after its answer is written).</summary>
    public async Task<IReadOnlyList<Activity>> WaitForAsync(ActivityTraceId traceId, int count)
    {
        await Eventually.WaitUntilAsync(() => Of(traceId).Count >= count, TimeSpan.FromSeconds(10), $"{count} spans of the trace");
        return Of(traceId);
    }

    public void Dispose() => _listener.Dispose();
}
