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

    /// <summary>
    /// Bytes a receive takes into the thread's probe buffer (<see cref="ReceiveArrivedNow"/>): a
    /// burst of 64 pipelined requests of up to 240 B fits in one, so it is one receive and one batch.
    /// </summary>
    private const int ProbeSize = 16 * 1024;

    /// <summary>
    /// Receives in a row that found data without waiting, after which the loop yields its thread. A
    /// peer that keeps data coming would otherwise hold the thread for good: the loop, the protocol
    /// and the handlers run on it without a break, and the other connections' receives queued behind
    /// it wait (measured, 64 KiB requests on 4 connections with one core: p99.9 58–197 ms without
    /// the yield, 12 ms with it; Kestrel 8 ms).
    /// </summary>
    private const int ReceivesBeforeYield = 16;

    [ThreadStatic]
    private static byte[]? t_probe;

    private async Task ReceiveLoopAsync()
    {
        PipeWriter input = _received.Writer;
        Exception? error = null;
        try
        {
            int receiveSize = MinimumReceiveSize;
            bool burst = false;
            int withoutWait = 0;
            while (true)
            {
                int received;
                int available = _waitForData && burst ? _socket.Available : 0;
                if (_waitForData && available == 0)
                {
                    // What has arrived is taken without a wait and without renting a block first:
                    // a receive that finds nothing costs nothing more than the zero-byte wait it
                    // replaces, and holds no buffer while the connection is idle. One syscall per
                    // receive less than sizing a receive by FIONREAD.
                    received = ReceiveArrivedNow(input);
                    if (received < 0)
                    {
                        // Readiness without a buffer: until the peer sends, this connection holds none.
                        await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                        burst = false;
                        withoutWait = 0;
                        continue;
                    }

                    burst = received == ProbeSize;
                }
                else
                {
                    // The rest of a burst larger than the probe (or every receive when not waiting for
                    // data): all that has arrived, in one receive, straight into the pipe.
                    Memory<byte> buffer = input.GetMemory(Math.Max(receiveSize, Math.Min(available, MaximumReceiveSize)));
                    ValueTask<int> receive = _socket.ReceiveAsync(buffer, SocketFlags.None);
                    withoutWait = receive.IsCompleted ? withoutWait : 0;
                    received = await receive.ConfigureAwait(false);
                    receiveSize = received == buffer.Length ? MaximumReceiveSize
                        : received < buffer.Length / 2 ? MinimumReceiveSize
                        : receiveSize;
                    burst = received == buffer.Length;
                    input.Advance(received);
                }

                if (received == 0)
                {
                    break; // the peer finished sending (FIN)
                }

                // Awaiting the flush is the back-pressure: while the protocol has MaxReceiveBufferSize
                // unconsumed, the socket is not read and TCP flow control slows the peer down.
                ValueTask<FlushResult> flushing = input.FlushAsync();
                withoutWait = flushing.IsCompleted ? withoutWait : 0;
                FlushResult flush = await flushing.ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    break; // the protocol stopped reading
                }

                if (++withoutWait == ReceivesBeforeYield)
                {
                    // To the back of the thread pool's queue, behind the connections waiting there.
                    withoutWait = 0;
                    await Task.Yield();
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
    /// Receives, without waiting, what has arrived (up to <see cref="ProbeSize"/>) into this thread's
    /// probe buffer and copies it into the pipe: -1 when nothing has arrived, 0 at the peer's FIN.
    /// The copy (a burst of small frames, a few KiB) costs less than a syscall; a larger burst goes
    /// on in a receive straight into the pipe.
    /// </summary>
    private int ReceiveArrivedNow(PipeWriter input)
    {
        byte[] probe = t_probe ??= new byte[ProbeSize];
        int received = _socket.Receive(probe, SocketFlags.None, out SocketError result);
        if (result == SocketError.WouldBlock)
        {
            return -1;
        }

        if (result != SocketError.Success)
        {
            throw new SocketException((int)result);
        }

        // Into one block that fits it (the pool's 4, 16 or 64 KiB), not a chain of 4 KiB ones.
        probe.AsSpan(0, received).CopyTo(input.GetSpan(received));
        input.Advance(received);
        return received;
    }
}
