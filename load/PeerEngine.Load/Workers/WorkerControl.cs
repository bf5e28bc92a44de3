namespace PeerEngine.Load.Workers;

/// <summary>
/// A worker's end of its coordinator's pipe (<see cref="WorkerProtocol"/>): says it is ready,
/// waits for go, and stops when told to or when the coordinator's end closes, so a worker never
/// outlives a coordinator that went away.
/// </summary>
internal sealed class WorkerControl : IDisposable
{
    private readonly TextWriter _output;
    private readonly TaskCompletionSource _go = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private bool _disposed;

    public WorkerControl(TextReader input, TextWriter output)
    {
        _output = output;

        // A thread of its own: reading the console's input blocks, even behind ReadLineAsync.
        var reader = new Thread(() => Listen(input)) { IsBackground = true, Name = "load worker control" };
        reader.Start();
    }

    /// <summary>Cancelled on stop, or when the coordinator's end of the pipe closes.</summary>
    public CancellationToken Stopped => _stop.Token;

    /// <summary>The start gate of the worker's run: tells the coordinator it is ready, then waits for go.</summary>
    public async Task ReadyAsync(CancellationToken cancellationToken)
    {
        await _output.WriteLineAsync(WorkerProtocol.Ready).ConfigureAwait(false);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        await _go.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _stop.Dispose();
        }
    }

    private void Listen(TextReader input)
    {
        while (input.ReadLine() is { } line)
        {
            if (line == WorkerProtocol.Go)
            {
                _go.TrySetResult();
            }
            else if (line == WorkerProtocol.Stop)
            {
                Cancel();
            }
        }

        _go.TrySetException(new WorkerFailedException("the coordinator went away before the run started."));
        Cancel();
    }

    private void Cancel()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _stop.Cancel();
            }
        }
    }
}
