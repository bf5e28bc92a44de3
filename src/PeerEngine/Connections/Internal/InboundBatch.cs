namespace PeerEngine.Connections.Internal;

/// <summary>
/// The requests and messages cut out of one receive, started together when the receive loop is done
/// cutting that read: in the loop, or as one thread-pool work item per read instead of one per frame.
/// </summary>
internal struct InboundBatch
{
    private InboundWork? _head;
    private InboundWork? _tail;

    public void Add(InboundWork work)
    {
        if (_tail is null)
        {
            _head = work;
        }
        else
        {
            _tail.Next = work;
        }

        _tail = work;
    }

    /// <summary>
    /// Starts the batch on this thread when <paramref name="inline"/> and this is a pool thread (the
    /// receive loop runs inline on the socket's receive completion, which is a pool thread unless
    /// the process runs socket completions inline); hands it to the thread pool otherwise. Either way
    /// the answers of handlers that complete at once leave together when the batch is done, sent from
    /// the batch's thread unless another thread is sending for this core already (<see cref="SendScheduler"/>).
    /// </summary>
    /// <param name="inline">
    /// <see cref="PeerConnectionOptions.InlineHandlers"/>: the handlers are started on the receive loop,
    /// which goes on reading once each has completed or reached its first incomplete await. Off, the
    /// loop goes on reading at once, at the price of a thread-pool hop per receive.
    /// </param>
    public void Dispatch(bool inline)
    {
        InboundWork? head = _head;
        if (head is null)
        {
            return;
        }

        _head = null;
        _tail = null;
        if (inline && Thread.CurrentThread.IsThreadPoolThread)
        {
            // As Kestrel runs a connection's user code in its loop: no hop, and a handler that blocks
            // holds this pool thread and its own connection's reading, no other connection's.
            using SendScheduler.Scope sends = SendScheduler.Defer();
            head.StartAll(lendPayloads: true);
        }
        else
        {
            // Never on the socket engine's own thread (inline socket completions): it serves every
            // connection's events, so a handler that blocked there would stall them all, and sends
            // made there queue every connection behind each send (measured: many connections fell to
            // 0.65x Kestrel). The receive is released once this returns: the payloads go with the batch.
            head.KeepAll();
            ThreadPool.UnsafeQueueUserWorkItem(head, preferLocal: false);
        }
    }
}
