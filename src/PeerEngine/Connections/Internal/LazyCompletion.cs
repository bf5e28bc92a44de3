namespace PeerEngine.Connections.Internal;

/// <summary>
/// A one-time completion whose task exists only once somebody asks for it. A connection has two
/// (handshake done, connection ended), and on a server almost nobody awaits either: as
/// <see cref="TaskCompletionSource"/>s made up front they cost every idle connection about 180 bytes
/// (an idle connection costs about 3.5 KiB in all). A field of its owner, never copied.
/// </summary>
internal struct LazyCompletion
{
    private const int Pending = 0;
    private const int Completing = 1;
    private const int Succeeded = 2;
    private const int Failed = 3;

    private TaskCompletionSource? _source;
    private Exception? _failure;
    private int _state;

    /// <summary>Whether it has completed (or is completing), either way.</summary>
    public bool IsCompleted => Volatile.Read(ref _state) != Pending;

    public bool IsCompletedSuccessfully => Volatile.Read(ref _state) == Succeeded;

    /// <summary>The task, made on first use; continuations run asynchronously.</summary>
    public Task Task
    {
        get
        {
            TaskCompletionSource? source = Volatile.Read(ref _source);
            if (source is null)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                source = Interlocked.CompareExchange(ref _source, created, null) ?? created;
            }

            // Published before the state is read: a completion racing this either sees the source
            // and settles it, or completed before, and is seen here.
            Settle(source);
            return source.Task;
        }
    }

    public bool TrySetResult() => TryComplete(Succeeded, null);

    public bool TrySetException(Exception failure) => TryComplete(Failed, failure);

    private bool TryComplete(int outcome, Exception? failure)
    {
        if (Interlocked.CompareExchange(ref _state, Completing, Pending) != Pending)
        {
            return false;
        }

        _failure = failure;
        Interlocked.Exchange(ref _state, outcome);
        if (Volatile.Read(ref _source) is { } source)
        {
            Settle(source);
        }

        return true;
    }

    private readonly void Settle(TaskCompletionSource source)
    {
        switch (Volatile.Read(in _state))
        {
            case Succeeded:
                source.TrySetResult();
                break;
            case Failed:
                if (source.TrySetException(_failure!))
                {
                    _ = source.Task.Exception; // observed: nobody need await an outcome nobody asked for
                }

                break;
        }
    }
}
