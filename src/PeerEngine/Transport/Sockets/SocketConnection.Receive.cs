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

    private async Task ReceiveLoopAsync()
    {
        PipeWriter input = _received.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                if (_waitForData)
                {
                    // Readiness without a buffer: until the peer sends, this connection holds none.
                    await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                }

                Memory<byte> buffer = input.GetMemory(MinimumReceiveSize);
                int received = await _socket.ReceiveAsync(buffer, SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break; // the peer finished sending (FIN)
                }

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
