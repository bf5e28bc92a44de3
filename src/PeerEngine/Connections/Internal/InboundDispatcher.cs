using System.Buffers;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PeerEngine.Diagnostics;

namespace PeerEngine.Connections.Internal;

/// <summary>
/// Hands a connection's incoming REQUESTs and MESSAGEs to its handlers: the in-flight slots of rule 8,
/// the batch of one receive, where it runs (the thread pool, or inline), and the wait for the
/// handlers to finish. What an <see cref="InboundWork"/> needs of its connection, it finds here.
/// </summary>
internal sealed class InboundDispatcher
{
    private readonly PeerConnection _connection;
    private readonly ConnectionSettings _settings;
    private readonly FrameSender _sender;
    private readonly CancellationToken _lifetime;
    private int _inFlight;
    private TaskCompletionSource? _slotFreed;
    private TaskCompletionSource? _idle;
    private InboundBatch _batch;

    public InboundDispatcher(PeerConnection connection, ConnectionSettings settings, FrameSender sender, CancellationToken lifetime)
    {
        _connection = connection;
        _settings = settings;
        _sender = sender;
        _lifetime = lifetime;
    }

    /// <summary>Requests and messages from the peer being handled now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>The connection the work came from, as its handlers' log messages name it.</summary>
    public object Connection => _connection;

    public RequestHandler? RequestHandler => _settings.Handlers.OnRequest;

    public MessageHandler? MessageHandler => _settings.Handlers.OnMessage;

    /// <summary>Cancelled when the connection ends: the handlers' token.</summary>
    public CancellationToken Lifetime => _lifetime;

    public ILogger Logger => _settings.Logger;

    public PeerEngineMetrics Metrics => _settings.Metrics;

    public TimeProvider Time => _settings.Time;

    /// <summary>The largest response the peer accepts (<see cref="ProtocolNegotiation.MaxSendPayloadLength"/>).</summary>
    public int MaxPayloadLength => _connection.Negotiation.MaxSendPayloadLength;

    /// <summary>
    /// A slot for one more request or message from the peer. A counter rather than a semaphore: the
    /// receive loop is the only taker, it waits only at the limit (rare), and 10,000 idle connections
    /// should not each carry a semaphore and its lock.
    /// </summary>
    public bool TryTakeSlot()
    {
        int inFlight = Volatile.Read(ref _inFlight);
        while (inFlight < _settings.Options.MaxRequestsInFlight)
        {
            int seen = Interlocked.CompareExchange(ref _inFlight, inFlight + 1, inFlight);
            if (seen == inFlight)
            {
                return true;
            }

            inFlight = seen;
        }

        return false;
    }

    /// <summary>Waits until a handler finishes and a slot is taken.</summary>
    /// <exception cref="OperationCanceledException">The connection ended first.</exception>
    public async Task WaitForSlotAsync()
    {
        try
        {
            while (!TryTakeSlot())
            {
                // Published before the second try: a handler finishing in between either sees it and
                // signals, or finished before the try, which then succeeds.
                var freed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _slotFreed, freed);
                if (TryTakeSlot())
                {
                    break;
                }

                await freed.Task.WaitAsync(_lifetime).ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _slotFreed, null);
        }
    }

    /// <summary>Gives back the slot of work that will not run (refused, or no handler).</summary>
    public void ReleaseSlot() => Release();

    /// <summary>Queues a request, in its taken slot, to the batch of this receive; <paramref name="parent"/> is the requester's span, if it came.</summary>
    public void AddRequest(uint correlationId, in ReadOnlySequence<byte> payload, in ActivityContext parent) =>
        _batch.Add(InboundWork.ForRequest(this, _connection.RemoteNodeId, correlationId, payload, parent));

    /// <summary>Queues a message, in its taken slot, to the batch of this receive; <paramref name="parent"/> is the sender's span, if it came.</summary>
    public void AddMessage(in ReadOnlySequence<byte> payload, in ActivityContext parent) =>
        _batch.Add(InboundWork.ForMessage(this, _connection.RemoteNodeId, payload, parent));

    /// <summary>Starts the batch of this receive (<see cref="InboundBatch.Dispatch"/>).</summary>
    public void Dispatch() => _batch.Dispatch(_settings.Options.InlineHandlers);

    /// <summary>Writes a handler's answer; a failure here only means the connection is going away.</summary>
    public ValueTask WriteAnswerAsync<TFrame>(TFrame frame)
        where TFrame : struct, IOutgoingFrame => _sender.WriteAsync(frame, _lifetime);

    /// <summary>Called by a dispatched request or message when its handler is done (and its answer written).</summary>
    public void OnFinished()
    {
        if (Release() == 0)
        {
            Volatile.Read(ref _idle)?.TrySetResult();
            _connection.CheckDrained();
        }
    }

    /// <summary>Completes once no request or message from the peer is being handled.</summary>
    public Task WhenIdle()
    {
        if (InFlight == 0)
        {
            return Task.CompletedTask;
        }

        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskCompletionSource current = Interlocked.CompareExchange(ref _idle, idle, null) ?? idle;
        if (InFlight == 0)
        {
            current.TrySetResult();
        }

        return current.Task;
    }

    /// <summary>Gives a slot back; wakes the receive loop if it waits for one. Returns the requests still in flight.</summary>
    private int Release()
    {
        int inFlight = Interlocked.Decrement(ref _inFlight);
        if (Volatile.Read(ref _slotFreed) is not null)
        {
            Interlocked.Exchange(ref _slotFreed, null)?.TrySetResult();
        }

        return inFlight;
    }
}
