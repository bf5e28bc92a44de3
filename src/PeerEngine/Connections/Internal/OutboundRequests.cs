using System.Diagnostics;
using PeerEngine.Buffers;
using PeerEngine.Correlation;
using PeerEngine.Diagnostics;
using PeerEngine.Framing;

namespace PeerEngine.Connections.Internal;

/// <summary>
/// What this side of a connection asks of its peer: REQUESTs and PINGs awaiting their answer (a
/// table each), one-way MESSAGEs, the answers that complete them, and the requests in a row the
/// peer has left unanswered.
/// </summary>
internal sealed class OutboundRequests : IPendingRequestObserver
{
    private static readonly PendingRequestTable s_closedPings = ClosedPingTable();

    private readonly PeerConnection _connection;
    private readonly ConnectionSettings _settings;
    private readonly FrameSender _sender;
    private readonly ConnectionShutdown _shutdown;
    private readonly PendingRequestTable _requests;
    private PendingRequestTable? _pings;
    private int _consecutiveTimeouts;
    private int _unresponsiveAfter;
    private Action<PeerConnection>? _whenUnresponsive;

    public OutboundRequests(PeerConnection connection, ConnectionSettings settings, FrameSender sender, ConnectionShutdown shutdown)
    {
        _connection = connection;
        _settings = settings;
        _sender = sender;
        _shutdown = shutdown;
        _requests = new PendingRequestTable(this);
    }

    /// <summary>Requests awaiting their answer.</summary>
    public int Count => _requests.Count;

    /// <summary>The id of the latest request (it changes with every request).</summary>
    public uint LastIssuedId => _requests.LastIssuedId;

    /// <summary>Requests that timed out since the peer last answered anything.</summary>
    public int ConsecutiveTimeouts => Volatile.Read(ref _consecutiveTimeouts);

    /// <summary>Whether a table of its own was made for pings (it is on the first ping only).</summary>
    public bool HasPingTable => Volatile.Read(ref _pings) is { } pings && pings != s_closedPings;

    /// <summary>
    /// The PINGs awaiting their PONG: made on the first ping, since most connections never send one.
    /// A connection that ends before its first ping gets the shared closed table instead, which
    /// refuses every ping: closing costs no table.
    /// </summary>
    private PendingRequestTable Pings
    {
        get
        {
            if (Volatile.Read(ref _pings) is { } pings)
            {
                return pings;
            }

            Interlocked.CompareExchange(ref _pings, new PendingRequestTable(), null);
            return _pings!;
        }
    }

    /// <summary>
    /// Sends a REQUEST and waits for its answer: the RESPONSE payload, which the caller disposes.
    /// </summary>
    /// <param name="payload">The request payload; it must stay unchanged until the returned task completes.</param>
    /// <param name="timeout">How long to wait for the answer; <c>null</c> for the <see cref="PeerConnectionOptions.RequestTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the wait; a late answer is then ignored.</param>
    /// <exception cref="PayloadTooLargeException">The payload is over the maximum; nothing was sent.</exception>
    /// <exception cref="ConnectionLostException">The connection is closing or ended.</exception>
    /// <exception cref="PeerErrorException">The peer answered with an ERROR.</exception>
    /// <exception cref="TimeoutException">No answer within the timeout.</exception>
    public ValueTask<PooledPayload> RequestAsync(ReadOnlyMemory<byte> payload, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        bool traced = TryGetTraceContext(out string traceParent, out string? traceState);
        if (Refuse(payload.Length, traced, traceParent, traceState) is { } refused)
        {
            return ValueTask.FromException<PooledPayload>(refused);
        }

        PendingRequest? request = _requests.TryAdd(timeout ?? _settings.Options.RequestTimeout, cancellationToken);
        if (request is null)
        {
            return ValueTask.FromException<PooledPayload>(_shutdown.Lost());
        }

        ValueTask write;
        try
        {
            write = traced
                ? _sender.WriteAsync(new TracedDataFrame(FrameKind.Request, request.Id, traceParent, traceState, payload), cancellationToken)
                : _sender.WriteAsync(new DataFrame(FrameKind.Request, request.Id, payload), cancellationToken);
        }
        catch (Exception e) when (_requests.TryRemove(request))
        {
            // Never written: the request leaves the table now, its timer with it.
            request.SetException(e);
            return request.Completion;
        }

        if (!write.IsCompletedSuccessfully)
        {
            return WriteThenAwaitAnswerAsync(write, request);
        }

        return request.Completion;
    }

    /// <summary>Sends a one-way MESSAGE.</summary>
    /// <exception cref="PayloadTooLargeException">The payload is over the maximum; nothing was sent.</exception>
    /// <exception cref="ConnectionLostException">The connection is closing or ended.</exception>
    public ValueTask SendMessageAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        bool traced = TryGetTraceContext(out string traceParent, out string? traceState);
        if (Refuse(payload.Length, traced, traceParent, traceState) is { } refused)
        {
            return ValueTask.FromException(refused);
        }

        try
        {
            return traced
                ? _sender.WriteAsync(new TracedDataFrame(FrameKind.Message, 0, traceParent, traceState, payload), cancellationToken)
                : _sender.WriteAsync(new DataFrame(FrameKind.Message, 0, payload), cancellationToken);
        }
        catch (ConnectionLostException e)
        {
            return ValueTask.FromException(e);
        }
    }

    /// <summary>Sends a PING and waits for its PONG: the round-trip time.</summary>
    /// <param name="timeout">How long to wait for the PONG; <c>null</c> for <see cref="PeerConnectionOptions.RequestTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async ValueTask<TimeSpan> PingAsync(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        PendingRequestTable pings = Pings;
        PendingRequest ping = pings.TryAdd(timeout ?? _settings.Options.RequestTimeout, cancellationToken) ?? throw _shutdown.Lost();
        long started = _settings.Time.GetTimestamp();
        try
        {
            await _sender.WriteAsync(new DataFrame(FrameKind.Ping, ping.Id, ReadOnlyMemory<byte>.Empty), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (pings.TryRemove(ping))
        {
            ping.SetException(e);
        }

        using PooledPayload pong = await ping.Completion.ConfigureAwait(false);
        return _settings.Time.GetElapsedTime(started);
    }

    /// <summary>A RESPONSE: completes its request, unless it has timed out or been cancelled.</summary>
    public void OnResponse(in Frame frame)
    {
        PeerAnswered();
        if (_requests.TryTake(frame.CorrelationId, out PendingRequest answered))
        {
            answered.SetResult(PooledBuffer.CopyOf(frame.Payload));
        }
    }

    /// <summary>A PONG: completes its ping. A keep-alive's (id 0, which pings never use) completes nothing.</summary>
    public void OnPong(uint correlationId)
    {
        PeerAnswered();
        if (_pings is { } pings && pings.TryTake(correlationId, out PendingRequest ping))
        {
            ping.SetResult(PooledBuffer.Rent());
        }
    }

    /// <summary>An ERROR for one request: fails it with the peer's code and message.</summary>
    public void OnError(uint correlationId, ErrorCode code, string message)
    {
        if (_requests.TryTake(correlationId, out PendingRequest failed))
        {
            failed.SetException(new PeerErrorException(code, message));
        }
    }

    /// <summary>An answer of any kind, late ones included: the peer is alive.</summary>
    public void PeerAnswered()
    {
        if (_consecutiveTimeouts != 0)
        {
            Volatile.Write(ref _consecutiveTimeouts, 0);
        }
    }

    /// <summary>Fails every request and ping in flight, and refuses later pings, without making a table for a connection that never pinged.</summary>
    public void FailAll(ConnectionLostException lost)
    {
        _requests.FailAll(lost);
        PendingRequestTable? pings = Interlocked.CompareExchange(ref _pings, s_closedPings, null);
        pings?.FailAll(lost);
    }

    /// <summary>
    /// Fails the requests waiting for an answer, leaving the table open: the peer has been found
    /// unresponsive, and they would only wait out their own timeouts one by one.
    /// </summary>
    public void FailWaiting(PeerException error) => _requests.FailWaiting(error);

    /// <summary>
    /// Runs <paramref name="callback"/> each time <paramref name="afterTimeouts"/> requests in a row
    /// have timed out with no answer from the peer in between: how a pool notices a peer that is
    /// connected but no longer answers (frozen, swapping, cut off). Set once, before the first request.
    /// </summary>
    public void WhenUnresponsive(int afterTimeouts, Action<PeerConnection> callback)
    {
        _unresponsiveAfter = afterTimeouts;
        _whenUnresponsive = callback;
    }

    void IPendingRequestObserver.OnRemoved() => _connection.CheckDrained();

    void IPendingRequestObserver.OnTimedOut()
    {
        if (Interlocked.Increment(ref _consecutiveTimeouts) == _unresponsiveAfter)
        {
            _whenUnresponsive?.Invoke(_connection);
        }
    }

    private static PendingRequestTable ClosedPingTable()
    {
        var table = new PendingRequestTable();
        table.FailAll(new ConnectionLostException(ShutdownReason.LocalClose));
        return table;
    }

    /// <summary>
    /// The caller's span (<see cref="Activity.Current"/>: the engine's client span, or the application's
    /// own) as a trace block's values, when the connection follows version 2 and there is one. Without a
    /// current span this reads one async-local and allocates nothing.
    /// </summary>
    private bool TryGetTraceContext(out string traceParent, out string? traceState)
    {
        traceParent = string.Empty;
        traceState = null;
        return _connection.Negotiation.CarriesTraceContext && W3CTraceContext.TryGetOutgoing(Activity.Current, out traceParent, out traceState);
    }

    /// <summary>Why a frame of <paramref name="payloadLength"/> application bytes (and a trace block, if <paramref name="traced"/>) cannot be sent now, or <c>null</c>.</summary>
    /// <remarks>An exception returned, not thrown: callers fail through the task they return.</remarks>
    private PeerException? Refuse(int payloadLength, bool traced, string traceParent, string? traceState)
    {
        ProtocolNegotiation negotiation = _connection.Negotiation;
        long length = traced ? payloadLength + (long)TraceContextBlock.GetLength(traceParent.Length, traceState?.Length ?? 0) : payloadLength;
        if (length > negotiation.MaxSendPayloadLength)
        {
            return negotiation.Version >= WireProtocol.Version2
                ? PayloadTooLargeException.OverPeerMaximum(length, negotiation.MaxSendPayloadLength)
                : new PayloadTooLargeException(length, negotiation.MaxSendPayloadLength);
        }

        if (_shutdown.IsClosing)
        {
            return _shutdown.Lost();
        }

        return null;
    }

    private async ValueTask<PooledPayload> WriteThenAwaitAnswerAsync(ValueTask write, PendingRequest request)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception e) when (_requests.TryRemove(request))
        {
            request.SetException(e);
        }

        return await request.Completion.ConfigureAwait(false);
    }
}
