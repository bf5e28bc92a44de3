using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PeerEngine.Host;

/// <summary>
/// The node's spans as debug log lines (category <c>PeerEngine.Spans</c>), for a host with no tracing
/// backend: each finished span with its trace, its own id and its parent's, so a person (or a test)
/// can follow one trace across processes from the logs. Spans are made only when this level is on.
/// </summary>
internal sealed partial class SpanLog(ILoggerFactory loggerFactory) : IHostedService, IDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("PeerEngine.Spans");
    private ActivityListener? _listener;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name == PeerEngineActivities.SourceName,
                Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity => Finished(_logger, activity.DisplayName, activity.Kind, activity.TraceId, activity.SpanId, activity.ParentSpanId, activity.Status),
            };
            ActivitySource.AddActivityListener(_listener);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => _listener?.Dispose();

    [LoggerMessage(401, LogLevel.Debug, "Span {Name} ({Kind}) trace {TraceId} span {SpanId} parent {ParentSpanId} status {Status}")]
    private static partial void Finished(ILogger logger, string name, ActivityKind kind, ActivityTraceId traceId, ActivitySpanId spanId, ActivitySpanId parentSpanId, ActivityStatusCode status);
}
