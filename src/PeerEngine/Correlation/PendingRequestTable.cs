namespace PeerEngine.Correlation;

/// <summary>
/// The requests of one connection that await an answer, by correlation id. Removal from the table is
/// the single point that decides who completes a request, so an answer racing a timeout, a
/// cancellation or the connection's end completes it exactly once; a late answer finds nothing and
/// is ignored (wire protocol rule 6).
/// </summary>
/// <param name="observer">Told after every removal, outside the lock.</param>
internal sealed class PendingRequestTable(IPendingRequestObserver? observer = null)
{
    // Made on the first request: a connection that only answers (most of a server's) never needs
    // one, and 10,000 idle connections should not carry 10,000 empty dictionaries. The
    // table locks itself: it is internal, and nothing outside locks on it.
    private Dictionary<uint, PendingRequest>? _pending;
    private uint _lastId;
    private bool _closed;

    /// <summary>The id given to the latest request: it changes with every request, so it tells whether any was made.</summary>
    public uint LastIssuedId => Volatile.Read(ref _lastId);

    /// <summary>Requests awaiting an answer.</summary>
    public int Count
    {
        get
        {
            lock (this)
            {
                return _pending?.Count ?? 0;
            }
        }
    }

    /// <summary>
    /// Adds a request under a fresh non-zero id that is not in flight, and arms its timeout and
    /// cancellation; <c>null</c> once <see cref="FailAll"/> has closed the table.
    /// </summary>
    public PendingRequest? TryAdd(TimeSpan timeout, CancellationToken cancellationToken)
    {
        PendingRequest request;
        lock (this)
        {
            if (_closed)
            {
                return null;
            }

            uint id;
            do
            {
                id = unchecked(++_lastId);
            }
            while (id == 0 || (_pending?.ContainsKey(id) ?? false));

            request = PendingRequest.Rent(this, id);
            (_pending ??= []).Add(id, request);
        }

        request.Arm(timeout, cancellationToken);
        return request;
    }

    /// <summary>Takes the request <paramref name="id"/> out of the table, for the caller to complete.</summary>
    public bool TryTake(uint id, out PendingRequest request)
    {
        bool removed;
        lock (this)
        {
            request = null!;
            removed = _pending?.Remove(id, out request!) ?? false;
        }

        if (removed)
        {
            observer?.OnRemoved();
        }

        return removed;
    }

    /// <summary>Removes <paramref name="request"/> if it is still waiting (the timeout and cancellation path).</summary>
    public bool TryRemove(PendingRequest request)
    {
        bool removed;
        lock (this)
        {
            removed = _pending is not null
                && _pending.TryGetValue(request.Id, out PendingRequest? current)
                && ReferenceEquals(current, request)
                && _pending.Remove(request.Id);
        }

        if (removed)
        {
            observer?.OnRemoved();
        }

        return removed;
    }

    /// <summary>Tells the observer that a request it no longer holds timed out.</summary>
    internal void OnTimedOut() => observer?.OnTimedOut();

    /// <summary>Fails every waiting request with <paramref name="error"/> and refuses new ones with it.</summary>
    public void FailAll(Exception error)
    {
        PendingRequest[] failed;
        lock (this)
        {
            _closed = true;
            if (_pending is null || _pending.Count == 0)
            {
                return;
            }

            failed = [.. _pending.Values];
            _pending.Clear();
        }

        foreach (PendingRequest request in failed)
        {
            request.SetException(error);
        }

        observer?.OnRemoved();
    }
}
