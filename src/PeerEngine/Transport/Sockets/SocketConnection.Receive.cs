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
    /// instead of 16 or more 4 KiB ones (issue 7: large-payload throughput is decided by the receive
    /// size; issue 3: every block a frame spans leaves a segment object cached in the pipe for the
    /// connection's life). A receive that leaves most of its buffer empty goes back to
    /// <see cref="MinimumReceiveSize"/>, so small frames keep using the pipe's 4 KiB blocks.
    /// </summary>
    private const int MaximumReceiveSize = 64 * 1024;

    private async Task ReceiveLoopAsync()
    {
        PipeWriter input = _received.Writer;
        Exception? error = null;
        try
        {
            int receiveSize = MinimumReceiveSize;
            while (true)
            {
                int received;
                if (_waitForData)
                {
                    // Readiness without a buffer: until the peer sends, this connection holds none.
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                    received = ReceiveAvailable(input, ref receiveSize, out bool ended);
                    if (ended)
                    {
                        break; // the peer finished sending (FIN)
                    }

                    if (received == 0)
                    {
                        // The wait sometimes ends with nothing to read (measured: 2.5% of connections
                        // after a 60 KB frame): wait again, holding no buffer.
                        continue;
                    }
                }
                else
                {
                    Memory<byte> buffer = input.GetMemory(receiveSize);
                    received = await _socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                    if (received == 0)
                    {
                        break; // the peer finished sending (FIN)
                    }

                    receiveSize = NextReceiveSize(received, buffer.Length, receiveSize);
                    input.Advance(received);
                }

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

    /// <summary>
    /// Reads what has arrived without waiting (the socket is non-blocking for this loop), into the
    /// input pipe, unflushed: everything the peer sent in one burst reaches the protocol as one read.
    /// A burst of pipelined requests a little over a block (64 of 64 B are 5 KiB), flushed in two
    /// pieces, became two batches and two sends, and smaller bursts back from the peer for the rest of
    /// the conversation (issue 7); one non-blocking receive also replaced a receive and a FIONREAD.
    /// Nothing available: 0, and no buffer is held (issue 3).
    /// </summary>
    /// <param name="input">The input pipe's writer; what is read is advanced, not flushed.</param>
    /// <param name="receiveSize">The size to ask of the pipe, adapted to how full each receive was.</param>
    /// <param name="ended">The peer finished sending (FIN); what came before it is in the pipe.</param>
    /// <returns>The bytes read.</returns>
    private int ReceiveAvailable(PipeWriter input, ref int receiveSize, out bool ended)
    {
        int total = 0;
        int ask = receiveSize;
        while (true)
        {
            Span<byte> buffer = input.GetSpan(ask);
            int received = _socket.Receive(buffer, SocketFlags.None, out SocketError status);
            if (status == SocketError.WouldBlock)
            {
                ended = false;
                return total;
            }

            if (status != SocketError.Success)
            {
                throw new SocketException((int)status);
            }

            ended = received == 0;
            input.Advance(received);
            total += received;

            // A receive that does not fill its buffer took all there was. A peer that keeps the
            // socket full is handed over every MaximumReceiveSize: the flush is the back-pressure.
            if (ended || received < buffer.Length || total >= MaximumReceiveSize)
            {
                // The next burst is likely the size of this one: asked for at once, it takes one
                // receive (and a block that fits it) rather than a full one and then the rest.
                receiveSize = Math.Clamp(total, MinimumReceiveSize, MaximumReceiveSize);
                return total;
            }

            ask = MaximumReceiveSize;
        }
    }

    private static int NextReceiveSize(int received, int bufferLength, int receiveSize) =>
        received == bufferLength ? MaximumReceiveSize
        : received < bufferLength / 2 ? MinimumReceiveSize
        : receiveSize;
}
