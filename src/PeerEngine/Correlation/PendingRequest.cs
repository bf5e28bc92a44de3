using System.Threading.Tasks.Sources;
using Microsoft.Extensions.ObjectPool;
using PeerEngine.Buffers;

namespace PeerEngine.Correlation;

/// <summary>
/// One request awaiting its answer: a pooled, reusable <see cref="IValueTaskSource{TResult}"/>, so that
/// awaiting a response allocates nothing. Whoever removes it from its <see cref="PendingRequestTable"/>
/// completes it (answer, timeout, cancellation or connection loss), which makes completion exactly-once.
/// </summary>
internal sealed class PendingRequest : IValueTaskSource<PooledPayload>
{
    private static readonly ObjectPool<PendingRequest> Pool =
        new DefaultObjectPool<PendingRequest>(new DefaultPooledObjectPolicy<PendingRequest>(), maximumRetained: 1024);

    private static readonly Action<object?> OnTimeoutCallback = static state => ((PendingRequest)state!).OnTimeout();
    private static readonly Action<object?, CancellationToken> OnCanceledCallback =
        static (state, token) => ((PendingRequest)state!).OnCanceled(token);

    // Continuations run asynchronously: answers are completed by the connection's receive loop, which
    // must never run the caller's continuation (and whatever it does next) inline on itself.
    private ManualResetValueTaskSourceCore<PooledPayload> _core = new() { RunContinuationsAsynchronously = true };
    private PendingRequestTable? _table;
    private CancellationTokenSource? _timer;
    private CancellationTokenRegistration _timeoutRegistration;
    private CancellationTokenRegistration _cancellationRegistration;
    private TimeSpan _timeout;

    public uint Id { get; private set; }

    public ValueTask<PooledPayload> Completion => new(this, _core.Version);

    internal static PendingRequest Rent(PendingRequestTable table, uint id)
    {
        PendingRequest request = Pool.Get();
        request._table = table;
        request.Id = id;
        return request;
    }

    /// <summary>Starts the timeout and follows the caller's token; either may complete the request at once.</summary>
    internal void Arm(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            // One timer-backed token per pooled request, reset and reused: a timeout costs no allocation.
            _timeout = timeout;
            _timer ??= new CancellationTokenSource();
            _timeoutRegistration = _timer.Token.UnsafeRegister(OnTimeoutCallback, this);
            _timer.CancelAfter(timeout);
        }

        if (cancellationToken.CanBeCanceled)
        {
            _cancellationRegistration = cancellationToken.UnsafeRegister(OnCanceledCallback, this);
        }
    }

    internal void SetResult(PooledBuffer payload) => _core.SetResult(new PooledPayload(payload));

    internal void SetException(Exception exception) => _core.SetException(exception);

    public PooledPayload GetResult(short token)
    {
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Recycle();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void OnTimeout()
    {
        if (_table!.TryRemove(this))
        {
            PendingRequestTable table = _table!;
            SetException(new TimeoutException(
                $"The request timed out after {_timeout.TotalSeconds:0.###} s without an answer (option RequestTimeout)."));
            table.OnTimedOut();
        }
    }

    private void OnCanceled(CancellationToken token)
    {
        if (_table!.TryRemove(this))
        {
            SetException(new OperationCanceledException(token));
        }
    }

    private void Recycle()
    {
        // Dispose waits for a callback that is running right now, so none can touch the next use.
        _timeoutRegistration.Dispose();
        _cancellationRegistration.Dispose();
        _timeoutRegistration = default;
        _cancellationRegistration = default;
        if (_timer is not null && !_timer.TryReset())
        {
            _timer.Dispose();
            _timer = null;
        }

        _table = null;
        Id = 0;
        _core.Reset();
        Pool.Return(this);
    }
}
