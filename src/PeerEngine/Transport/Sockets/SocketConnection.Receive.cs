using System.IO.Pipelines;
using System.Net.Sockets;

namespace PeerEngine.Transport.Sockets;

internal sealed partial class SocketConnection
{
    /// <summary>
    /// Smallest buffer asked of the pipe per receive. The pipe's blocks are 4 KiB; asking for less
    /// would let a receive land in the tail of a nearly full block and cost an extra syscall.
    /// </summary>
    private const int MinimumReceiveSize = 2048;

    /// <summary>
    /// Largest buffer asked of the pipe per receive, the pool's largest block. A receive that fills
    /// its buffer asks for this much next, so a 64 KiB frame arrives in 2 receives and 2 blocks
    /// instead of 16 or more 4 KiB ones (large-payload throughput is decided by the receive
    /// size; and every block a frame spans leaves a segment object cached in the pipe for the
    /// connection's life). A receive that leaves most of its buffer empty goes back to
    /// <see cref="MinimumReceiveSize"/>, so small frames keep using the pipe's 4 KiB blocks.
    /// </summary>
    private const int MaximumReceiveSize = 64 * 1024;

    /// <summary>Waits for data that end with nothing to read before a receive is posted anyway (it then sees a FIN).</summary>
    private const int MaxEmptyWakeups = 2;

    private async Task ReceiveLoopAsync()
    {
        PipeWriter input = _received.Writer;
        Exception? error = null;
        try
        {
            int receiveSize = MinimumReceiveSize;
            int emptyWakeups = 0;
            while (true)
            {
                int available = 0;
                if (_waitForData)
                {
                    // Readiness without a buffer: until the peer sends, this connection holds none.
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);

                    // The wait sometimes ends with nothing to read (measured: 2.5% of connections
                    // after a 60 KB frame); a receive posted then would keep the tail of a 64 KiB
                    // block until the peer next sends. Wait again instead, a bounded number of times:
                    // at the end of the stream the wait ends at once, and the receive must see it.
                    // The price is one FIONREAD per receive (not per frame), which also sizes the
                    // receive below.
                    available = _socket.Available;
                    if (available == 0 && emptyWakeups++ < MaxEmptyWakeups)
                    {
                        continue;
                    }
                }

                emptyWakeups = 0;

                // All that has arrived, in one receive: a burst of pipelined requests a little over a
                // block (64 of 64 B are 5 KiB) cut in two receives became two batches, two sends, and
                // two smaller bursts back from the peer, for the rest of the conversation.
                Memory<byte> buffer = input.GetMemory(Math.Max(receiveSize, Math.Min(available, MaximumReceiveSize)));
                int received = await _socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break; // the peer finished sending (FIN)
                }

                receiveSize = received == buffer.Length ? MaximumReceiveSize
                    : received < buffer.Length / 2 ? MinimumReceiveSize
                    : receiveSize;

                input.Advance(received);

                // Awaiting the flush is the back-pressure: while the protocol has MaxReceiveBufferSize
                // unconsumed, the socket is not read and TCP flow control slows the peer down.
                FlushResult flush = await input.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break; // the protocol stopped reading
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            error = Lost(e);
        }
        finally
        {
            await input.CompleteAsync(error).ConfigureAwait(false);
        }
    }
}
