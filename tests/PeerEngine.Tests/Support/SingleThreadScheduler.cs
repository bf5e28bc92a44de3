using System.Collections.Concurrent;
using System.IO.Pipelines;

namespace PeerEngine.Tests.Support;

/// <summary>
/// Runs everything scheduled on it on one dedicated thread, in order: the socket engine's thread when
/// socket completions run inline, which serves the events of every connection.
/// </summary>
internal sealed class SingleThreadScheduler : PipeScheduler, IDisposable
{
    private readonly BlockingCollection<(Action<object?> Action, object? State)> _queue = [];
    private readonly Thread _thread;

    public SingleThreadScheduler()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "engine (test)" };
        _thread.Start();
    }

    public int ManagedThreadId => _thread.ManagedThreadId;

    public override void Schedule(Action<object?> action, object? state) => _queue.Add((action, state));

    public void Dispose()
    {
        _queue.CompleteAdding();
        _thread.Join(TimeSpan.FromSeconds(10));
        _queue.Dispose();
    }

    private void Run()
    {
        foreach ((Action<object?> action, object? state) in _queue.GetConsumingEnumerable())
        {
            action(state);
        }
    }
}
