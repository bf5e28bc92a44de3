using Microsoft.Extensions.Logging;

/// <summary>
/// Writes each log event as one stdout line, <c>log EVENT-ID MESSAGE</c>, so that a test can wait
/// for the event it expects (the accept back-off's 101, a refused connection's 102).
/// </summary>
internal sealed class StdoutLoggerFactory : ILoggerFactory, ILogger
{
    private static readonly Lock Gate = new();

    public ILogger CreateLogger(string categoryName) => this;

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        lock (Gate)
        {
            Console.Out.WriteLine($"log {eventId.Id} {formatter(state, exception)}");
            Console.Out.Flush();
        }
    }

    public void Dispose()
    {
    }
}
