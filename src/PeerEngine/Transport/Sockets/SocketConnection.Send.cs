using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace PeerEngine.Transport.Sockets;

internal sealed partial class SocketConnection
{
    private async Task SendLoopAsync()
    {
        PipeReader output = _toSend.Reader;
        Exception? error = null;
        try
        {
            while (true)
            {
                // Everything written since the last send goes out together: that is the batching of
                // many concurrent writers into few syscalls.
                ReadResult result = await output.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled)
                {
                    break;
                }

                ReadOnlySequence<byte> buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    SocketSender sender = SocketSender.Rent();
                    try
                    {
                        if (sender.TryPrepare(buffer))
                        {
                            await sender.SendAsync(_socket).ConfigureAwait(false);
                        }
                        else
                        {
                            await SendOneByOneAsync(buffer).ConfigureAwait(false);
                        }
                    }
                    finally
                    {
                        // Only once its send has completed: a sender in flight serves no other connection.
                        sender.Return();
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
                _socket.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            error = Lost(e);
        }
        finally
        {
            // Writers see the end as FlushResult.IsCompleted, and know the connection is gone.
            await output.CompleteAsync(error).ConfigureAwait(false);
            if (error is not null)
            {
                Abort();
            }
        }
    }

    private async ValueTask<int> SendOneByOneAsync(ReadOnlySequence<byte> buffer)
    {
        int sent = 0;
        foreach (ReadOnlyMemory<byte> block in buffer)
        {
            sent += await _socket.SendAsync(block, SocketFlags.None).ConfigureAwait(false);
        }

        return sent;
    }
}
