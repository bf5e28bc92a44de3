using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.ObjectPool;
using PeerEngine.Buffers;
using PeerEngine.Diagnostics;
using PeerEngine.Framing;

namespace PeerEngine.Connections.Internal;

/// <summary>
/// A REQUEST or MESSAGE handed from the receive loop to its handler, in the loop itself when it runs
/// on a pool thread, or on the thread pool (see <see cref="InboundBatch.Dispatch"/>). Pooled with its
/// buffers: dispatching costs no allocation in steady state.
/// </summary>
/// <remarks>
/// The frames of one receive travel as one batch (<see cref="InboundBatch"/>), and their handlers are
/// started in arrival order: a handler that completes synchronously is answered before the next
/// starts, so a burst of quick requests is answered in order; a handler that awaits lets the next
/// start at once, so slow work still runs concurrently and answers go out in completion order.
/// </remarks>
/// <remarks>
/// The payload is lent where it lies in the receive pipe while its handler runs synchronously on the
/// receive loop: the loop releases that part of the pipe only after the batch. It is copied into a
/// pooled buffer only when the handler yields (or the batch leaves the loop for the pool), because
/// handlers finish in any order and a pipe is released in order: holding payloads in the pipe would
/// let one slow handler pin everything received after it. A payload that spans blocks of the pipe
/// is copied when first read through <see cref="PeerRequest.Payload"/>, which is one block of
/// memory; <see cref="PeerRequest.PayloadSequence"/> lends it in its pieces.
/// </remarks>
internal sealed class InboundWork : IThreadPoolWorkItem
{
    private static readonly ObjectPool<InboundWork> Pool =
        new DefaultObjectPool<InboundWork>(new DefaultPooledObjectPolicy<InboundWork>(), maximumRetained: 1024);

    private const string HandlerFailedMessage = "the request handler failed";
    private const string ResponseTooLargeMessage = "the response exceeds the maximum payload length";

    private readonly PeerRequest _request = new();
    private readonly PeerMessage _message = new();
    private readonly Action _onRunCompleted;

    // Taken only by a read of the payload off the receive loop while it is still lent, and by the
    // copy made when the handler yields: one of them copies, the other sees the copy.
    private readonly Lock _keepLock = new();
    private InboundDispatcher? _dispatcher;
    private ReadOnlySequence<byte> _lent;
    private int _lentTo;
    private PooledBuffer? _payload;
    private PooledBuffer? _response;
    private ActivityContext _parent;
    private uint _correlationId;
    private bool _isRequest;
    private ValueTask _run;

    public InboundWork()
    {
        _onRunCompleted = OnRunCompleted;
        _request.Work = this;
        _message.Work = this;
    }

    /// <summary>The next item of the same batch.</summary>
    internal InboundWork? Next { get; set; }

    public static InboundWork ForRequest(InboundDispatcher dispatcher, string peerId, uint correlationId, in ReadOnlySequence<byte> payload, in ActivityContext parent)
    {
        InboundWork work = Rent(dispatcher, payload, isRequest: true);
        work._parent = parent;
        work._correlationId = correlationId;
        work._response = PooledBuffer.Rent();
        work._request.PeerId = peerId;
        work._request.Response = work._response;
        return work;
    }

    public static InboundWork ForMessage(InboundDispatcher dispatcher, string peerId, in ReadOnlySequence<byte> payload, in ActivityContext parent)
    {
        InboundWork work = Rent(dispatcher, payload, isRequest: false);
        work._parent = parent;
        work._message.PeerId = peerId;
        return work;
    }

    /// <summary>
    /// The payload as the handler reads it: where it lies in the receive pipe while the handler runs
    /// synchronously on the receive loop's thread, a pooled copy otherwise.
    /// </summary>
    public ReadOnlyMemory<byte> Payload =>
        _lentTo == Environment.CurrentManagedThreadId && _lent.IsSingleSegment ? _lent.First : Kept();

    /// <summary>
    /// The payload as a sequence: where it lies in the receive pipe, in as many pieces as it spans,
    /// while the handler runs synchronously on the receive loop's thread; the pooled copy otherwise.
    /// </summary>
    public ReadOnlySequence<byte> PayloadSequence =>
        _lentTo == Environment.CurrentManagedThreadId ? _lent : new ReadOnlySequence<byte>(Kept());

    /// <summary>On the thread pool: the batch's answers leave in one send from this thread when it is done.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        using SendScheduler.Scope sends = SendScheduler.Defer();
        StartAll(lendPayloads: false);
    }

    /// <summary>
    /// Starts this item's handler, then each following item's, in order. With <paramref name="lendPayloads"/>
    /// (on the receive loop, before it releases the receive) each handler reads its payload in the pipe.
    /// </summary>
    public void StartAll(bool lendPayloads)
    {
        InboundWork? work = this;
        while (work is not null)
        {
            InboundWork? next = work.Next;
            work.Next = null;
            work.Start(lendPayloads);
            work = next;
        }
    }

    /// <summary>Copies the payloads of this batch out of the receive pipe, which is released once the batch leaves the receive loop.</summary>
    public void KeepAll()
    {
        for (InboundWork? work = this; work is not null; work = work.Next)
        {
            work.Kept();
        }
    }

    private void Start(bool lendPayload)
    {
        if (lendPayload)
        {
            _lentTo = Environment.CurrentManagedThreadId;
        }

        ValueTask run = _isRequest ? AnswerRequestAsync() : HandleMessageAsync();
        _lentTo = 0;
        if (run.IsCompleted)
        {
            run.GetAwaiter().GetResult();
            Recycle();
        }
        else
        {
            // The handler yielded (or its answer waits for room): what it reads from now on must
            // outlive the receive. Copied before the continuation is registered, so before recycling.
            Kept();

            // Observed when it ends, then recycled: the pooled async box returns to its pool only once
            // awaited, and this item may be reused only after that.
            _run = run;
            _run.GetAwaiter().UnsafeOnCompleted(_onRunCompleted);
        }
    }

    /// <summary>The payload copied out of the receive pipe, copied now if it was not yet.</summary>
    private ReadOnlyMemory<byte> Kept()
    {
        PooledBuffer? kept = Volatile.Read(ref _payload);
        if (kept is null)
        {
            lock (_keepLock)
            {
                kept = _payload;
                if (kept is null)
                {
                    if (_dispatcher is null)
                    {
                        return default; // read after the handler completed: nothing is lent any more
                    }

                    kept = PooledBuffer.CopyOf(_lent);
                    Volatile.Write(ref _payload, kept);
                }
            }
        }

        return kept.WrittenMemory;
    }

    private static InboundWork Rent(InboundDispatcher dispatcher, in ReadOnlySequence<byte> payload, bool isRequest)
    {
        InboundWork work = Pool.Get();
        work._dispatcher = dispatcher;
        work._isRequest = isRequest;
        work._lent = payload;
        return work;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AnswerRequestAsync()
    {
        InboundDispatcher dispatcher = _dispatcher!;

        // The span is Activity.Current in the handler, so the handler's own calls nest under it; it is
        // made only while someone listens, and the clock is read only while the histogram is on.
        Activity? span = PeerEngineActivities.Enabled ? PeerEngineActivities.StartHandling(_parent, _request.PeerId, (int)_lent.Length) : null;
        bool timed = dispatcher.Metrics.ServerRequestDuration.Enabled;
        long started = timed ? dispatcher.Time.GetTimestamp() : 0;
        try
        {
            bool handled;
            try
            {
                await dispatcher.RequestHandler!(_request, dispatcher.Lifetime).ConfigureAwait(false);
                handled = true;
            }
            catch (Exception e)
            {
                // Whatever the handler throws, and whenever: it is reported here and nowhere else.
                ReportHandlerFailure(dispatcher, e, isRequest: true);
                PeerEngineActivities.Failed(span, ErrorCode.HandlerFailed);
                handled = false;
            }

            if (timed)
            {
                dispatcher.Metrics.ServerRequestDuration.Record(dispatcher.Time.GetElapsedTime(started).TotalSeconds);
            }

            if (dispatcher.Lifetime.IsCancellationRequested)
            {
                return; // the connection has ended: there is nobody to answer
            }

            ReadOnlyMemory<byte> response = _response!.WrittenMemory;
            if (!handled || response.Length > dispatcher.MaxPayloadLength)
            {
                dispatcher.Metrics.Error(ErrorCode.HandlerFailed, sent: true);
                PeerEngineActivities.Failed(span, ErrorCode.HandlerFailed);
            }

            if (!handled)
            {
                // Rule 7: ERROR 5, and nothing of the exception reaches the peer.
                await dispatcher.WriteAnswerAsync(new ErrorFrame(_correlationId, ErrorCode.HandlerFailed, HandlerFailedMessage)).ConfigureAwait(false);
            }
            else if (response.Length > dispatcher.MaxPayloadLength)
            {
                await dispatcher.WriteAnswerAsync(new ErrorFrame(_correlationId, ErrorCode.HandlerFailed, ResponseTooLargeMessage)).ConfigureAwait(false);
            }
            else
            {
                await dispatcher.WriteAnswerAsync(new DataFrame(FrameKind.Response, _correlationId, response)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is PeerException or OperationCanceledException)
        {
            // The connection is going away; the requester learns that from the connection's end.
        }
        catch (Exception e)
        {
            // Nothing that answering does may reach the thread pool: that would end the process.
            PeerEngineLog.InboundWorkFailed(dispatcher.Logger, dispatcher.Connection, e);
        }
        finally
        {
            // Ended before the slot is given back: a node that stops once its work is done has every span ended.
            span?.Dispose();
            dispatcher.OnFinished();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask HandleMessageAsync()
    {
        InboundDispatcher dispatcher = _dispatcher!;
        Activity? span = PeerEngineActivities.Enabled ? PeerEngineActivities.StartProcessing(_parent, _message.PeerId, (int)_lent.Length) : null;
        try
        {
            await dispatcher.MessageHandler!(_message, dispatcher.Lifetime).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ReportHandlerFailure(dispatcher, e, isRequest: false);
            PeerEngineActivities.Failed(span, e);
        }
        finally
        {
            // Ended before the slot is given back: a node that stops once its work is done has every span ended.
            span?.Dispose();
            dispatcher.OnFinished();
        }
    }

    /// <summary>
    /// Logs a handler's failure once. A cancellation the connection's end caused is the handler
    /// obeying its token, not a failure; anything else is logged even when the connection has ended
    /// meanwhile (a handler that wraps or replaces the cancellation still failed).
    /// </summary>
    private static void ReportHandlerFailure(InboundDispatcher dispatcher, Exception e, bool isRequest)
    {
        if (e is OperationCanceledException && dispatcher.Lifetime.IsCancellationRequested)
        {
            return;
        }

        if (isRequest)
        {
            PeerEngineLog.HandlerFailed(dispatcher.Logger, dispatcher.Connection, e);
        }
        else
        {
            PeerEngineLog.MessageHandlerFailed(dispatcher.Logger, dispatcher.Connection, e);
        }
    }

    private void OnRunCompleted()
    {
        ValueTask run = _run;
        _run = default;
        run.GetAwaiter().GetResult();
        Recycle();
    }

    private void Recycle()
    {
        _payload?.Return();
        _response?.Return();
        _payload = null;
        _response = null;
        _dispatcher = null;
        _lent = default;
        _request.Response = null!;
        _request.PeerId = string.Empty;
        _message.PeerId = string.Empty;
        _correlationId = 0;
        _parent = default;
        Pool.Return(this);
    }
}
