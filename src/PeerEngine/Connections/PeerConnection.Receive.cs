using System.Buffers;
using System.IO.Pipelines;
using PeerEngine.Buffers;
using PeerEngine.Connections.Internal;
using PeerEngine.Correlation;
using PeerEngine.Diagnostics;
using PeerEngine.Framing;

namespace PeerEngine.Connections;

internal sealed partial class PeerConnection
{
    private bool _helloReceived;
    private int _inboundInFlight;
    private TaskCompletionSource? _inboundSlotFreed;
    private InboundBatch _batch;
    private long _framesReceived;
    private long _bytesReceived;

    /// <summary>Frames received since the connection opened.</summary>
    public long FramesReceived => Volatile.Read(ref _framesReceived);

    /// <summary>Frame bytes (headers included) received since the connection opened.</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);
    private bool _discarding;

    private async Task ReceiveLoopAsync()
    {
        PipeReader input = _transport.Input;
        Exception? failure = null;
        try
        {
            while (!_discarding)
            {
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled && _stopReading)
                {
                    break; // drained, and the peer did not close within the linger
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                Volatile.Write(ref _lastReceived, _settings.Time.GetTimestamp());

                while (!_discarding)
                {
                    FrameReadStatus status = _reader.TryRead(ref buffer, out Frame frame, out ProtocolError error);
                    if (status == FrameReadStatus.Incomplete)
                    {
                        break;
                    }

                    if (status == FrameReadStatus.Complete && TakesInboundSlot(frame) && !TryTakeInboundSlot())
                    {
                        // The work already cut out must run, or its slots would never come back.
                        _batch.Dispatch(_settings.Options.InlineHandlers);
                        await WaitForInboundSlotAsync().ConfigureAwait(false);
                    }

                    if (status == FrameReadStatus.Complete && !_discarding)
                    {
                        error = await OnFrameAsync(frame).ConfigureAwait(false);
                    }

                    if (error.IsError)
                    {
                        Violate(error, ShutdownReason.ProtocolViolation);
                    }
                }

                _batch.Dispatch(_settings.Options.InlineHandlers);
                TrackPartialFrame(buffer);
                input.AdvanceTo(_discarding ? buffer.End : buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    OnPeerFinishedSending();
                    break;
                }
            }

            if (_discarding)
            {
                await DiscardUntilClosedAsync(input).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            // Whatever ended the loop (a reset, an abort, a write on a dead connection), the
            // connection is finished below with it as the cause; nothing escapes this loop.
            failure = e;
        }

        // This loop is the input's only reader. A read that fails (a reset, an abort) does not end
        // the reader, and a pipe gives its blocks back only once both ends are complete: the unread
        // part of a frame and the buffer of the receive that failed would stay rented for good.
        await input.CompleteAsync().ConfigureAwait(false);
        await FinishAsync(failure).ConfigureAwait(false);
    }

    /// <summary>
    /// Rule 8: at <see cref="PeerConnectionOptions.MaxRequestsInFlight"/> the connection stops reading
    /// until a handler finishes; unread bytes fill the pipe, then the socket, and TCP pushes back.
    /// </summary>
    private async Task WaitForInboundSlotAsync()
    {
        Volatile.Write(ref _readingPaused, true);
        try
        {
            while (!TryTakeInboundSlot())
            {
                // Published before the second try: a handler finishing in between either sees it and
                // signals, or finished before the try, which then succeeds.
                var freed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _inboundSlotFreed, freed);
                if (TryTakeInboundSlot())
                {
                    break;
                }

                await freed.Task.WaitAsync(_lifetime.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            _discarding = true;
        }
        finally
        {
            Volatile.Write(ref _inboundSlotFreed, null);

            // Time spent not reading is ours, not the peer's: the data-rate clock starts again.
            Volatile.Write(ref _partialFrameStart, 0);
            Volatile.Write(ref _readingPaused, false);
        }
    }

    /// <summary>
    /// A slot for one more request or message from the peer. A counter rather than a semaphore: the
    /// receive loop is the only taker, it waits only at the limit (rare), and 10,000 idle connections
    /// should not each carry a semaphore and its lock.
    /// </summary>
    private bool TryTakeInboundSlot()
    {
        int inFlight = Volatile.Read(ref _inboundInFlight);
        while (inFlight < _settings.Options.MaxRequestsInFlight)
        {
            int seen = Interlocked.CompareExchange(ref _inboundInFlight, inFlight + 1, inFlight);
            if (seen == inFlight)
            {
                return true;
            }

            inFlight = seen;
        }

        return false;
    }

    /// <summary>Gives a slot back; wakes the receive loop if it waits for one. Returns the requests still in flight.</summary>
    private int ReleaseInboundSlot()
    {
        int inFlight = Interlocked.Decrement(ref _inboundInFlight);
        if (Volatile.Read(ref _inboundSlotFreed) is not null)
        {
            Interlocked.Exchange(ref _inboundSlotFreed, null)?.TrySetResult();
        }

        return inFlight;
    }

    private bool TakesInboundSlot(in Frame frame) =>
        _helloReceived && frame.Kind is FrameKind.Request or FrameKind.Message;

    private async ValueTask<ProtocolError> OnFrameAsync(Frame frame)
    {
        // Only the receive loop writes these; the metrics read them when a collector asks.
        Volatile.Write(ref _framesReceived, _framesReceived + 1);
        Volatile.Write(ref _bytesReceived, _bytesReceived + WireProtocol.HeaderSize + frame.Payload.Length);
        if (!_helloReceived)
        {
            return OnHandshakeFrame(frame);
        }

        switch (frame.Kind)
        {
            case FrameKind.Request:
                await OnRequestAsync(frame).ConfigureAwait(false);
                return default;
            case FrameKind.Message:
                OnMessage(frame);
                return default;
            case FrameKind.Response:
                PeerAnswered();
                if (_requests.TryTake(frame.CorrelationId, out PendingRequest answered))
                {
                    answered.SetResult(PooledBuffer.CopyOf(frame.Payload));
                }

                return default;
            case FrameKind.Error:
                PeerAnswered();
                return OnError(frame);
            case FrameKind.Ping:
                await WriteAsync(new DataFrame(FrameKind.Pong, frame.CorrelationId, frame.Payload), _lifetime.Token).ConfigureAwait(false);
                return default;
            case FrameKind.Pong:
                PeerAnswered();
                if (_pings is { } pings && pings.TryTake(frame.CorrelationId, out PendingRequest ping))
                {
                    ping.SetResult(PooledBuffer.Rent());
                }

                return default;
            case FrameKind.Goodbye:
                OnGoodbye();
                return default;
            default:
                return ProtocolErrors.SecondHello;
        }
    }

    private ProtocolError OnHandshakeFrame(in Frame frame)
    {
        if (frame.Kind != FrameKind.Hello)
        {
            return ProtocolErrors.HelloRequired;
        }

        ProtocolError error = HelloPayload.Parse(frame, out string remoteNodeId);
        if (error.IsError)
        {
            return error;
        }

        RemoteNodeId = remoteNodeId;
        _helloReceived = true;
        if (Role == ConnectionRole.Accepting)
        {
            WriteControl(new HelloFrame(LocalNodeId));
        }

        PeerEngineLog.Handshaken(_settings.Logger, this, remoteNodeId);
        _settings.Metrics.OpenedConnections.Add(1);
        _handshaken.TrySetResult();
        return default;
    }

    private async ValueTask OnRequestAsync(Frame frame)
    {
        if (GoodbyeSent || RequestHandler is null)
        {
            ReleaseInboundSlot();
            ErrorFrame refusal = GoodbyeSent
                ? new ErrorFrame(frame.CorrelationId, ErrorCode.ShuttingDown, "the node is shutting down")
                : new ErrorFrame(frame.CorrelationId, ErrorCode.NoHandler, "no request handler is registered");
            _settings.Metrics.Error(GoodbyeSent ? ErrorCode.ShuttingDown : ErrorCode.NoHandler, sent: true);
            await WriteAsync(refusal, _lifetime.Token).ConfigureAwait(false);
            return;
        }

        _batch.Add(InboundWork.ForRequest(this, frame.CorrelationId, frame.Payload));
    }

    private void OnMessage(in Frame frame)
    {
        if (MessageHandler is null)
        {
            ReleaseInboundSlot();
            return;
        }

        _batch.Add(InboundWork.ForMessage(this, frame.Payload));
    }

    private ProtocolError OnError(in Frame frame)
    {
        ProtocolError malformed = ErrorPayload.Parse(frame.Payload, out ErrorCode code, out string message);
        if (malformed.IsError)
        {
            return malformed;
        }

        _settings.Metrics.Error(code, sent: false);
        if (frame.CorrelationId == 0)
        {
            // The peer closes after a connection ERROR (rule 5): stop, and read out what is left.
            PeerEngineLog.PeerConnectionError(_settings.Logger, this, code, message);
            if (TrySetShutdown(ShutdownReason.PeerError))
            {
                EndConversation(ShutdownReason.PeerError);
                _discarding = true;
            }
        }
        else if (_requests.TryTake(frame.CorrelationId, out PendingRequest failed))
        {
            failed.SetException(new PeerErrorException(code, message));
        }

        return default;
    }

    /// <summary>Called by a dispatched request or message when its handler is done (and its answer written).</summary>
    internal void OnInboundFinished()
    {
        if (ReleaseInboundSlot() == 0)
        {
            Volatile.Read(ref _inboundIdle)?.TrySetResult();
            CheckDrained();
        }
    }

    /// <summary>Writes a handler's answer; a failure here only means the connection is going away.</summary>
    internal ValueTask WriteAnswerAsync<TFrame>(TFrame frame)
        where TFrame : struct, IOutgoingFrame => WriteAsync(frame, _lifetime.Token);

    private void TrackPartialFrame(in ReadOnlySequence<byte> unread)
    {
        if (unread.IsEmpty)
        {
            Volatile.Write(ref _partialFrameStart, 0);
            return;
        }

        if (Volatile.Read(ref _partialFrameStart) == 0)
        {
            Volatile.Write(ref _partialFrameStart, _settings.Time.GetTimestamp());
        }

        Volatile.Write(ref _partialFrameBytes, unread.Length);
    }

    private async Task DiscardUntilClosedAsync(PipeReader input)
    {
        // Rule 5: after a connection ERROR, read and discard for up to CloseLinger, so the peer gets
        // the ERROR rather than a reset caused by unread data at close.
        using var linger = new CancellationTokenSource(_settings.Options.CloseLinger, _settings.Time);
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(linger.Token).ConfigureAwait(false);
                input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (linger.IsCancellationRequested)
        {
            // The linger is over; the connection is closed without waiting for the peer any longer.
        }
    }
}
