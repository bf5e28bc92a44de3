using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PeerEngine.Tests.Support;

/// <summary>Keeps every log event (id, message, exception) so a test can assert what a node said.</summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<(int Id, string Message, Exception? Exception)> Events { get; } = new();

    public bool Has(int eventId, string? containing = null) =>
        Events.Any(e => e.Id == eventId && (containing is null || e.Message.Contains(containing, StringComparison.Ordinal)));

    public string Dump() => string.Join(Environment.NewLine, Events.Select(e => $"{e.Id}: {e.Message}"));

    public ILogger CreateLogger(string categoryName) => new Recorder(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Recorder(RecordingLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Events.Enqueue((eventId.Id, formatter(state, exception), exception));
    }
}
