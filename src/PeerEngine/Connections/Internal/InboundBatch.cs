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

    /// <summary>Hands the batch to the thread pool, if there is one.</summary>
    public void Dispatch()
    {
        if (_head is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_head, preferLocal: false);
            _head = null;
            _tail = null;
        }
    }
}
