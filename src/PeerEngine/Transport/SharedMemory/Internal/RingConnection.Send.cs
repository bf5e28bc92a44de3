using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace PeerEngine.Transport.SharedMemory.Internal;

internal sealed partial class RingConnection
{
    private async Task SendLoopAsync()
    {
        PipeReader output = _toSend.Reader;
        Exception? error = null;
        bool referenced = false;
        try
        {
            _mapping.DangerousAddRef(ref referenced);
            while (true)
            {
                // Everything written since the last pass goes into the ring together.
                ReadResult result = await output.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                foreach (ReadOnlyMemory<byte> block in buffer)
                {
                    ReadOnlyMemory<byte> rest = block;
                    while (!rest.IsEmpty)
                    {
                        int written = _outbound.Write(rest.Span);
                        if (written < 0)
                        {
                            throw Corrupt("head");
                        }

                        if (written == 0)
                        {
                            // Full: a frame larger than the ring streams through it as the peer reads.
                            await WaitForRoomAsync().ConfigureAwait(false);
                            continue;
                        }

                        rest = rest[written..];
                        if (_outbound.TakeConsumerAsleep())
                        {
                            _doorbell.RingData();
                        }
                    }
                }

                output.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }

            if (!IsAborted)
            {
                // The end of sending, behind the last bytes: the peer's input ends normally.
                _outbound.Close();
                if (_outbound.TakeConsumerAsleep())
                {
                    _doorbell.RingData();
                }
            }
        }
        catch (ConnectionResetException e)
        {
            error = e;
        }
        finally
        {
            // Writers see the end as FlushResult.IsCompleted, and know the connection is gone.
            await output.CompleteAsync(error).ConfigureAwait(false);
            if (error is not null)
            {
                Abort();
            }

            if (referenced)
            {
                _mapping.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// Waits for room in the outbound ring the way the receiver waits for data: spin, announce, look
    /// again, wait for a bell. The wait ends only with room, the peer's end, or an abort: a peer that
    /// stops reading holds the writer until the protocol's keep-alive timeout or drain gives up on it.
    /// </summary>
    /// <exception cref="ConnectionResetException">The peer is gone or this side aborted.</exception>
    // Pooled: a writer ahead of its reader waits once per full ring, and a wait must not allocate.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WaitForRoomAsync()
    {
        while (true)
        {
            if (SpinUntil(static c => c._outbound.Free() != 0 || c.OutboundEnded))
            {
                break;
            }

            _outbound.AnnounceWaiting();
            if (_outbound.Free() != 0 || OutboundEnded)
            {
                _outbound.CancelWaiting();
                break;
            }

            await _doorbell.SpaceFreed.WaitAsync().ConfigureAwait(false);
            _outbound.CancelWaiting();
        }

        if (OutboundEnded)
        {
            throw Lost();
        }
    }

    private bool OutboundEnded => _doorbell.PeerGone || IsAborted;
}
