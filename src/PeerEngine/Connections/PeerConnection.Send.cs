using System.IO.Pipelines;
using PeerEngine.Buffers;
using PeerEngine.Connections.Internal;
using PeerEngine.Correlation;
using PeerEngine.Framing;

namespace PeerEngine.Connections;

internal sealed partial class PeerConnection
{
    // Frames from any thread are written into the one output pipe under this lock, each followed by
    // a flush that only commits (the send loop, on another thread, does the syscall): while a send
    // is in progress, frames from every writer pile up and go out together in the next one.
    private readonly Lock _writeLock = new();

    private static readonly PendingRequestTable s_closedPings = ClosedPingTable();

    // A flush the pipe has not completed because MaxSendBufferSize bytes are waiting to be sent:
    // writers wait for it rather than write more, so a peer that does not read bounds our memory.
    private Task<FlushResult>? _blockedFlush;
    private bool _outputClosed;
    private bool _outputCompleted;
    private long _framesSent;
    private long _bytesSent;

    /// <summary>Frames written to the peer since the connection opened.</summary>
    public long FramesSent => Volatile.Read(ref _framesSent);

    /// <summary>Frame bytes (headers included) written to the peer since the connection opened.</summary>
    public long BytesSent => Volatile.Read(ref _bytesSent);

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
    public ValueTask<PooledPayload> RequestAsync(ReadOnlyMemory<byte> payload, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (Refuse(payload.Length) is { } refused)
        {
            return ValueTask.FromException<PooledPayload>(refused);
        }

        PendingRequest? request = _requests.TryAdd(timeout ?? _settings.Options.RequestTimeout, cancellationToken);
        if (request is null)
        {
            return ValueTask.FromException<PooledPayload>(Lost());
        }

        ValueTask write;
        try
        {
            write = WriteAsync(new DataFrame(FrameKind.Request, request.Id, payload), cancellationToken);
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
    public ValueTask SendMessageAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (Refuse(payload.Length) is { } refused)
        {
            return ValueTask.FromException(refused);
        }

        try
        {
            return WriteAsync(new DataFrame(FrameKind.Message, 0, payload), cancellationToken);
        }
        catch (ConnectionLostException e)
        {
            return ValueTask.FromException(e);
        }
    }

    /// <summary>Sends a PING and waits for its PONG: the round-trip time.</summary>
    /// <param name="timeout">How long to wait for the PONG; <c>null</c> for <see cref="PeerConnectionOptions.RequestTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    public async ValueTask<TimeSpan> PingAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        PendingRequestTable pings = Pings;
        PendingRequest ping = pings.TryAdd(timeout ?? _settings.Options.RequestTimeout, cancellationToken) ?? throw Lost();
        long started = _settings.Time.GetTimestamp();
        try
        {
            await WriteAsync(new DataFrame(FrameKind.Ping, ping.Id, ReadOnlyMemory<byte>.Empty), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (pings.TryRemove(ping))
        {
            ping.SetException(e);
        }

        using PooledPayload pong = await ping.Completion.ConfigureAwait(false);
        return _settings.Time.GetElapsedTime(started);
    }

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

    /// <summary>Whether this connection made a table of its own for pings (it does on its first ping only).</summary>
    internal bool HasPingTable => Volatile.Read(ref _pings) is { } pings && pings != s_closedPings;

    private static PendingRequestTable ClosedPingTable()
    {
        var table = new PendingRequestTable();
        table.FailAll(new ConnectionLostException(ShutdownReason.LocalClose));
        return table;
    }

    /// <summary>Fails the pings in flight, and refuses later ones, without making a table for a connection that never pinged.</summary>
    private void FailPings(ConnectionLostException lost)
    {
        PendingRequestTable? pings = Interlocked.CompareExchange(ref _pings, s_closedPings, null);
        pings?.FailAll(lost);
    }

    /// <summary>Why a frame of <paramref name="payloadLength"/> bytes cannot be sent now, or <c>null</c>.</summary>
    /// <remarks>An exception returned, not thrown: callers fail through the task they return.</remarks>
    private PeerException? Refuse(int payloadLength)
    {
        if (payloadLength > _settings.Options.MaxPayloadLength)
        {
            return new PayloadTooLargeException(payloadLength, _settings.Options.MaxPayloadLength);
        }

        if (IsClosing)
        {
            return Lost();
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

    /// <summary>Writes a frame; waits only while the send buffer is full.</summary>
    private ValueTask WriteAsync<TFrame>(TFrame frame, CancellationToken cancellationToken)
        where TFrame : struct, IOutgoingFrame
    {
        lock (_writeLock)
        {
            if (HasRoomLocked())
            {
                WriteLocked(frame);
                return default;
            }
        }

        return WriteWhenRoomAsync(frame, cancellationToken);
    }

    private async ValueTask WriteWhenRoomAsync<TFrame>(TFrame frame, CancellationToken cancellationToken)
        where TFrame : struct, IOutgoingFrame
    {
        while (true)
        {
            Task<FlushResult> blocked;
            lock (_writeLock)
            {
                if (HasRoomLocked())
                {
                    WriteLocked(frame);
                    return;
                }

                blocked = _blockedFlush!;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
            try
            {
                await blocked.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw Lost();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                throw Lost(); // the blocked flush failed with the transport's error: see FlushLocked
            }
        }
    }

    /// <summary>
    /// Writes a one-off control frame (HELLO, GOODBYE, a keep-alive PING, a connection ERROR) without
    /// waiting for room: each is written at most once per event, so this cannot grow without bound,
    /// and the timers and shutdown paths that send them must never block on a peer that does not read.
    /// </summary>
    private void WriteControl<TFrame>(TFrame frame)
        where TFrame : struct, IOutgoingFrame
    {
        lock (_writeLock)
        {
            if (_outputClosed)
            {
                return;
            }

            if (HasRoomLocked())
            {
                WriteLocked(frame);
            }
            else
            {
                // Written behind the blocked flush; the next flush (or the output's completion) commits it.
                CountSent(frame.WriteTo(_transport.Output));
            }
        }
    }

    /// <summary>Whether a frame may be written now; observes a blocked flush that has since completed.</summary>
    private bool HasRoomLocked()
    {
        if (_blockedFlush is { } blocked)
        {
            if (!blocked.IsCompleted)
            {
                return false;
            }

            _blockedFlush = null;
            if (!blocked.IsCompletedSuccessfully || blocked.Result.IsCompleted)
            {
                _outputClosed = true;
            }
        }

        return true;
    }

    private void WriteLocked<TFrame>(TFrame frame)
        where TFrame : struct, IOutgoingFrame
    {
        if (_outputClosed)
        {
            throw Lost();
        }

        CountSent(frame.WriteTo(_transport.Output));
        FlushLocked();
        if (_outputClosed)
        {
            // The send loop ended before this frame could leave: it was not sent.
            throw Lost();
        }
    }

    /// <summary>Counted under the write lock: one writer at a time, readers see whole values.</summary>
    private void CountSent(int frameLength)
    {
        Volatile.Write(ref _framesSent, _framesSent + 1);
        Volatile.Write(ref _bytesSent, _bytesSent + frameLength);
    }

    private void FlushLocked()
    {
        ValueTask<FlushResult> flush;
        try
        {
            flush = _transport.Output.FlushAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The transport ended its sending side with its own error (a failed send): the pipe throws
            // it at every flush. The connection is going down; callers learn it as a lost connection.
            _outputClosed = true;
            return;
        }

        if (!flush.IsCompletedSuccessfully)
        {
            _blockedFlush = flush.AsTask();
        }
        else if (flush.Result.IsCompleted)
        {
            _outputClosed = true; // the send loop has ended: the connection is going down
        }
    }

    /// <summary>Ends sending: whatever is written goes out, then the transport shuts its sending side down.</summary>
    private void CompleteOutput()
    {
        lock (_writeLock)
        {
            _outputClosed = true;
            if (!_outputCompleted)
            {
                _outputCompleted = true;
                _transport.Output.Complete();
            }
        }
    }

    private ConnectionLostException Lost()
    {
        ShutdownReason reason = ShutdownReason;
        if (reason == ShutdownReason.None)
        {
            // Still closing: say who began it.
            reason = _goodbyeReceived ? ShutdownReason.PeerGoodbye : _peerFinishedSending ? ShutdownReason.PeerClosed : ShutdownReason.LocalClose;
        }

        return new ConnectionLostException(reason);
    }
}
