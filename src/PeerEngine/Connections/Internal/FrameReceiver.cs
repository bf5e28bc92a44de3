using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using PeerEngine.Diagnostics;
using PeerEngine.Framing;

namespace PeerEngine.Connections.Internal;

/// <summary>
/// A connection's receive loop: cuts frames out of the input pipe and gives each to the part it is
/// for (answers to <see cref="OutboundRequests"/>, work to the <see cref="InboundDispatcher"/>, a
/// PONG to the <see cref="FrameSender"/>, HELLO, GOODBYE, a connection ERROR and the peer's FIN to
/// the connection), stops reading at the in-flight limit, and reads out what is left after an ERROR.
/// </summary>
internal sealed class FrameReceiver
{
    private readonly PeerConnection _connection;
    private readonly PipeReader _input;
    private readonly ConnectionSettings _settings;
    private FrameReader _reader;
    private readonly ConnectionTimers _timers;
    private readonly InboundDispatcher _dispatcher;
    private readonly OutboundRequests _outbound;
    private readonly FrameSender _sender;
    private readonly ConnectionShutdown _shutdown;
    private bool _helloReceived;
    private bool _discarding;
    private long _framesReceived;
    private long _bytesReceived;

    public FrameReceiver(
        PeerConnection connection,
        PipeReader input,
        ConnectionSettings settings,
        ConnectionTimers timers,
        InboundDispatcher dispatcher,
        OutboundRequests outbound,
        FrameSender sender,
        ConnectionShutdown shutdown)
    {
        _connection = connection;
        _input = input;
        _settings = settings;
        _reader = new FrameReader(settings.Options.MaxPayloadLength);
        _timers = timers;
        _dispatcher = dispatcher;
        _outbound = outbound;
        _sender = sender;
        _shutdown = shutdown;
    }

    /// <summary>Frames received since the connection opened.</summary>
    public long FramesReceived => Volatile.Read(ref _framesReceived);

    /// <summary>Frame bytes (headers included) received since the connection opened.</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>
    /// Stops handling frames: what still arrives is read out and dropped until the peer closes or the
    /// linger is over. Wakes the loop, which may be waiting for bytes that never come.
    /// </summary>
    public void Discard()
    {
        _discarding = true;
        _input.CancelPendingRead();
    }

    /// <summary>Wakes the loop to stop: the drain is over and the peer did not close within the linger.</summary>
    public void CancelPendingRead() => _input.CancelPendingRead();

    /// <summary>Receives until the peer closes or the connection fails, then finishes the connection.</summary>
    public async Task RunAsync()
    {
        Exception? failure = null;
        try
        {
            while (!_discarding)
            {
                ReadResult result = await _input.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled && _shutdown.StopReading)
                {
                    break; // drained, and the peer did not close within the linger
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                _timers.OnReceived();

                while (!_discarding)
                {
                    FrameReadStatus status = _reader.TryRead(ref buffer, out Frame frame, out ProtocolError error);
                    if (status == FrameReadStatus.Incomplete)
                    {
                        break;
                    }

                    if (status == FrameReadStatus.Complete && TakesInboundSlot(frame) && !_dispatcher.TryTakeSlot())
                    {
                        // The work already cut out must run, or its slots would never come back.
                        _dispatcher.Dispatch();
                        await WaitForInboundSlotAsync().ConfigureAwait(false);
                    }

                    if (status == FrameReadStatus.Complete && !_discarding)
                    {
                        error = await OnFrameAsync(frame).ConfigureAwait(false);
                    }

                    if (error.IsError)
                    {
                        _connection.Violate(error, ShutdownReason.ProtocolViolation);
                    }
                }

                _dispatcher.Dispatch();
                _timers.TrackPartialFrame(buffer);
                _input.AdvanceTo(_discarding ? buffer.End : buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    _connection.OnPeerFinishedSending();
                    break;
                }
            }

            if (_discarding)
            {
                await DiscardUntilClosedAsync().ConfigureAwait(false);
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
        await _input.CompleteAsync().ConfigureAwait(false);
        await _connection.FinishAsync(failure).ConfigureAwait(false);
    }

    /// <summary>
    /// Rule 8: at <see cref="PeerConnectionOptions.MaxRequestsInFlight"/> the connection stops reading
    /// until a handler finishes; unread bytes fill the pipe, then the socket, and TCP pushes back.
    /// </summary>
    private async Task WaitForInboundSlotAsync()
    {
        _timers.PauseReading();
        try
        {
            await _dispatcher.WaitForSlotAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _discarding = true;
        }
        finally
        {
            _timers.ResumeReading();
        }
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
                return await OnRequestAsync(frame).ConfigureAwait(false);
            case FrameKind.Message:
                return OnMessage(frame);
            case FrameKind.Response:
                _outbound.OnResponse(frame);
                return default;
            case FrameKind.Error:
                _outbound.PeerAnswered();
                return OnError(frame);
            case FrameKind.Ping:
                await _sender.WriteAsync(new DataFrame(FrameKind.Pong, frame.CorrelationId, frame.Payload), _shutdown.Lifetime).ConfigureAwait(false);
                return default;
            case FrameKind.Pong:
                _outbound.OnPong(frame.CorrelationId);
                return default;
            case FrameKind.Goodbye:
                _connection.OnGoodbye();
                return default;
            default:
                return ProtocolErrors.SecondHello;
        }
    }

    private ProtocolError OnHandshakeFrame(in Frame frame)
    {
        if (frame.Kind != FrameKind.Hello)
        {
            return IsVersionRefusal(frame) ? default : ProtocolErrors.HelloRequired;
        }

        ProtocolNegotiation negotiation = _connection.Negotiation;
        ProtocolError error = HelloPayload.Parse(frame, negotiation.Acceptable(_connection.Role), out ushort version, out string remoteNodeId, out int peerMaxPayload);
        if (error.IsError)
        {
            return error;
        }

        // From here on the frames follow the HELLO's version: version 2 allows the TRACE flag.
        _reader = new FrameReader(_settings.Options.MaxPayloadLength, version);
        _helloReceived = true;
        _connection.OnHello(remoteNodeId, version, peerMaxPayload);
        return default;
    }

    /// <summary>
    /// A connecting side's HELLO answered with ERROR 3: the peer does not speak the version offered. The
    /// connection ends as the peer closes it (no ERROR in return), and the connector may dial again
    /// with version 1.
    /// </summary>
    private bool IsVersionRefusal(in Frame frame)
    {
        if (_connection.Role != ConnectionRole.Connecting || frame.Kind != FrameKind.Error || frame.CorrelationId != 0
            || ErrorPayload.Parse(frame.Payload, out ErrorCode code, out string message).IsError || code != ErrorCode.UnsupportedVersion)
        {
            return false;
        }

        _connection.Negotiation.OnVersionRefused();
        _settings.Metrics.Error(code, sent: false);
        PeerEngineLog.PeerConnectionError(_settings.Logger, _connection, code, message);
        _connection.TryEnd(ShutdownReason.PeerError);
        _discarding = true;
        return true;
    }

    /// <summary>
    /// Cuts the trace block off a REQUEST or MESSAGE with the TRACE flag: a block that does not fit
    /// breaks the protocol; one whose values are not W3C values is ignored. The values are read only
    /// while someone listens for spans: otherwise the block is skipped unread.
    /// </summary>
    private static ProtocolError TakeTraceContext(in Frame frame, out ReadOnlySequence<byte> application, out ActivityContext parent)
    {
        parent = default;
        application = frame.Payload;
        if ((frame.Header.Flags & WireProtocol.TraceFlag) == 0)
        {
            return default;
        }

        ProtocolError error = TraceContextBlock.Read(frame.Payload, out ReadOnlySequence<byte> traceParent, out ReadOnlySequence<byte> traceState, out application);
        if (!error.IsError && PeerEngineActivities.Enabled && !W3CTraceContext.TryParse(traceParent, traceState, out parent))
        {
            parent = default; // not W3C values: handled as if no trace context came
        }

        return error;
    }

    private async ValueTask<ProtocolError> OnRequestAsync(Frame frame)
    {
        ProtocolError malformed = TakeTraceContext(frame, out ReadOnlySequence<byte> payload, out ActivityContext parent);
        if (malformed.IsError)
        {
            _dispatcher.ReleaseSlot();
            return malformed;
        }

        bool goodbyeSent = _shutdown.GoodbyeSent;
        if (goodbyeSent || _dispatcher.RequestHandler is null)
        {
            _dispatcher.ReleaseSlot();
            ErrorFrame refusal = goodbyeSent
                ? new ErrorFrame(frame.CorrelationId, ErrorCode.ShuttingDown, "the node is shutting down")
                : new ErrorFrame(frame.CorrelationId, ErrorCode.NoHandler, "no request handler is registered");
            _settings.Metrics.Error(goodbyeSent ? ErrorCode.ShuttingDown : ErrorCode.NoHandler, sent: true);
            await _sender.WriteAsync(refusal, _shutdown.Lifetime).ConfigureAwait(false);
            return default;
        }

        _dispatcher.AddRequest(frame.CorrelationId, payload, parent);
        return default;
    }

    private ProtocolError OnMessage(in Frame frame)
    {
        ProtocolError malformed = TakeTraceContext(frame, out ReadOnlySequence<byte> payload, out ActivityContext parent);
        if (malformed.IsError || _dispatcher.MessageHandler is null)
        {
            _dispatcher.ReleaseSlot();
            return malformed;
        }

        _dispatcher.AddMessage(payload, parent);
        return default;
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
            PeerEngineLog.PeerConnectionError(_settings.Logger, _connection, code, message);
            if (_connection.TryEnd(ShutdownReason.PeerError))
            {
                _discarding = true;
            }
        }
        else
        {
            _outbound.OnError(frame.CorrelationId, code, message);
        }

        return default;
    }

    private async Task DiscardUntilClosedAsync()
    {
        // Rule 5: after a connection ERROR, read and discard for up to CloseLinger, so the peer gets
        // the ERROR rather than a reset caused by unread data at close.
        using var linger = new CancellationTokenSource(_settings.Options.CloseLinger, _settings.Time);
        try
        {
            while (true)
            {
                ReadResult result = await _input.ReadAsync(linger.Token).ConfigureAwait(false);
                _input.AdvanceTo(result.Buffer.End);
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
