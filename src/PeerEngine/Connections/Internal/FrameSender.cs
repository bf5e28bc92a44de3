using System.IO.Pipelines;
using PeerEngine.Framing;

namespace PeerEngine.Connections.Internal;

/// <summary>
/// A connection's output: whole frames from any thread into the one output pipe, the back-pressure
/// of a full send buffer, the sent counters, and the end of sending.
/// </summary>
/// <remarks>
/// Frames are written under one lock, each followed by a flush that only commits (the transport's
/// send loop, on another thread, does the syscall): while a send is in progress, frames from every
/// writer pile up and go out together in the next one.
/// </remarks>
internal sealed class FrameSender
{
    private readonly PipeWriter _output;
    private readonly ConnectionShutdown _shutdown;
    private readonly Lock _writeLock = new();

    // A flush the pipe has not completed because MaxSendBufferSize bytes are waiting to be sent:
    // writers wait for it rather than write more, so a peer that does not read bounds our memory.
    private Task<FlushResult>? _blockedFlush;
    private bool _closed;
    private bool _completed;
    private long _framesSent;
    private long _bytesSent;

    public FrameSender(PipeWriter output, ConnectionShutdown shutdown)
    {
        _output = output;
        _shutdown = shutdown;
    }

    /// <summary>Frames written to the peer since the connection opened.</summary>
    public long FramesSent => Volatile.Read(ref _framesSent);

    /// <summary>Frame bytes (headers included) written to the peer since the connection opened.</summary>
    public long BytesSent => Volatile.Read(ref _bytesSent);

    /// <summary>Writes a frame; waits only while the send buffer is full.</summary>
    /// <exception cref="ConnectionLostException">Sending has ended; the frame was not sent.</exception>
    public ValueTask WriteAsync<TFrame>(TFrame frame, CancellationToken cancellationToken)
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

    /// <summary>
    /// Writes a one-off control frame (HELLO, GOODBYE, a keep-alive PING, a connection ERROR) without
    /// waiting for room: each is written at most once per event, so this cannot grow without bound,
    /// and the timers and shutdown paths that send them must never block on a peer that does not read.
    /// </summary>
    public void WriteControl<TFrame>(TFrame frame)
        where TFrame : struct, IOutgoingFrame
    {
        lock (_writeLock)
        {
            if (_closed)
            {
                return;
            }

            if (HasRoomLocked())
            {
                // Not WriteLocked, which throws when sending has ended: a control frame is dropped then.
                // HasRoomLocked may have just found the send loop ended by a failed flush (a reset).
                if (!_closed)
                {
                    CountSent(frame.WriteTo(_output));
                    FlushLocked();
                }
            }
            else
            {
                // Written behind the blocked flush; the next flush (or the output's completion) commits it.
                CountSent(frame.WriteTo(_output));
            }
        }
    }

    /// <summary>A keep-alive PING. Id 0: PingAsync never uses it, so the PONG is recognised as a keep-alive's and ignored.</summary>
    public void WriteKeepAlivePing() => WriteControl(new DataFrame(FrameKind.Ping, 0, ReadOnlyMemory<byte>.Empty));

    public void WriteGoodbye() => WriteControl(new DataFrame(FrameKind.Goodbye, 0, ReadOnlyMemory<byte>.Empty));

    /// <summary>A connection ERROR (rule 5): nothing is sent after it, and sending ends.</summary>
    public void WriteConnectionError(ProtocolError error)
    {
        WriteControl(new ErrorFrame(0, error.Code, error.Message));
        Complete();
    }

    /// <summary>Ends sending: whatever is written goes out, then the transport shuts its sending side down.</summary>
    public void Complete()
    {
        lock (_writeLock)
        {
            _closed = true;
            if (!_completed)
            {
                _completed = true;
                _output.Complete();
            }
        }
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

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Lifetime);
            try
            {
                await blocked.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw _shutdown.Lost();
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                throw _shutdown.Lost(); // the blocked flush failed with the transport's error: see FlushLocked
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
                _closed = true;
            }
        }

        return true;
    }

    private void WriteLocked<TFrame>(TFrame frame)
        where TFrame : struct, IOutgoingFrame
    {
        if (_closed)
        {
            throw _shutdown.Lost();
        }

        CountSent(frame.WriteTo(_output));
        FlushLocked();
        if (_closed)
        {
            // The send loop ended before this frame could leave: it was not sent.
            throw _shutdown.Lost();
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
            flush = _output.FlushAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The transport ended its sending side with its own error (a failed send): the pipe throws
            // it at every flush. The connection is going down; callers learn it as a lost connection.
            _closed = true;
            return;
        }

        if (!flush.IsCompletedSuccessfully)
        {
            _blockedFlush = flush.AsTask();
        }
        else if (flush.Result.IsCompleted)
        {
            _closed = true; // the send loop has ended: the connection is going down
        }
    }
}
