using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace PeerEngine.Transport.SharedMemory.Internal;

internal sealed partial class RingConnection
{
    /// <summary>
    /// Largest copy out of the ring per flush, the pool's largest block: a burst larger than that
    /// reaches the protocol in blocks of it, and the ring's room is freed as each is copied.
    /// </summary>
    private const int MaximumReceiveSize = 64 * 1024;

    private async Task ReceiveLoopAsync()
    {
        PipeWriter input = _received.Writer;
        Exception? error = null;
        bool referenced = false;
        try
        {
            _mapping.DangerousAddRef(ref referenced);
            while (true)
            {
                long available = _inbound.Available();
                if (available == 0)
                {
                    if (!await WaitForDataAsync().ConfigureAwait(false))
                    {
                        available = _inbound.Available();
                        if (available == 0)
                        {
                            // The producer's close follows its last bytes: the end of its stream.
                            // Without it, the peer's socket ended first: the peer died, or this side aborted.
                            error = _inbound.ProducerClosed ? null : Lost();
                            break;
                        }
                    }

                    continue;
                }

                if (available < 0)
                {
                    error = Corrupt("tail");
                    break;
                }

                // Rented only now that there are bytes: an idle connection holds no receive block.
                Memory<byte> buffer = input.GetMemory((int)Math.Min(available, MaximumReceiveSize));
                int read = _inbound.Read(buffer.Span);
                input.Advance(read);
                if (_inbound.TakeProducerWaiting())
                {
                    _doorbell.RingSpace();
                }

                // Awaiting the flush is the back-pressure: while the protocol has MaxReceiveBufferSize
                // unconsumed, the ring is not read, it fills, and the peer's writer waits.
                FlushResult flush = await input.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break;
                }
            }
        }
        finally
        {
            if (error is not null)
            {
                Abort();
            }

            await input.CompleteAsync(error).ConfigureAwait(false);
            if (referenced)
            {
                _mapping.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Waits for the inbound ring to have bytes: spins within the budget, then announces that it
    /// sleeps and waits for a bell. True when there may be bytes (or a corrupt ring) to look at;
    /// false when the stream may have ended (the producer closed, the peer is gone, or this side aborted).
    /// </summary>
    // Pooled: a connection whose peer pauses between messages waits once per message, and a wait must not allocate.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitForDataAsync()
    {
        while (true)
        {
            if (SpinUntil(static c => c._inbound.Available() != 0 || c.InboundEnded))
            {
                return !InboundEnded || _inbound.Available() != 0;
            }

            // Announce, then look again: a producer that published before the announcement did not
            // see it and rings no bell, so its bytes must be seen here.
            _inbound.AnnounceSleep();
            if (_inbound.Available() != 0 || InboundEnded)
            {
                _inbound.CancelSleep();
                continue;
            }

            await _doorbell.DataArrived.WaitAsync().ConfigureAwait(false);
            _inbound.CancelSleep();
        }
    }

    private bool InboundEnded => _inbound.ProducerClosed || _doorbell.PeerGone || IsAborted;
}
