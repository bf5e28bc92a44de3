namespace PeerEngine.Connections.Internal;

/// <summary>
/// The requests and messages cut out of one receive, queued to the thread pool together when the
/// receive loop is done with that read: one dispatch per read instead of one per frame.
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
    /// Hands the batch to the thread pool, if there is one, or starts it here when <paramref name="inline"/>.
    /// On a pool thread, the answers written by handlers that complete at once leave in one send from
    /// this thread when the batch is started (<see cref="SendScheduler"/>).
    /// </summary>
    /// <param name="inline">
    /// <see cref="PeerConnectionOptions.InlineHandlers"/>: the handlers are started on the receive loop,
    /// which goes on reading once each has completed or reached its first incomplete await.
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
        if (!inline)
        {
            ThreadPool.UnsafeQueueUserWorkItem(head, preferLocal: false);
        }
        else if (Thread.CurrentThread.IsThreadPoolThread)
        {
            using SendScheduler.Scope sends = SendScheduler.Defer();
            head.StartAll();
        }
        else
        {
            // The socket engine's own thread (inline socket completions) serves every connection's
            // events: sends made here would queue them all behind each send (measured:
            // many connections fell to 0.65x Kestrel), so the send loop is woken on the pool.
            head.StartAll();
        }
    }
}
