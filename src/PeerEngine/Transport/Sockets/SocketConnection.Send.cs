using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PeerEngine.Transport.Sockets;

internal sealed partial class SocketConnection
{
    private List<ArraySegment<byte>>? _gather;

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
                    await SendAsync(buffer).ConfigureAwait(false);
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

    private ValueTask<int> SendAsync(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            return _socket.SendAsync(buffer.First, SocketFlags.None);
        }

        return SendGatheredAsync(buffer);
    }

    /// <summary>Several blocks in one sendmsg; blocks that are not arrays go one by one.</summary>
    private async ValueTask<int> SendGatheredAsync(ReadOnlySequence<byte> buffer)
    {
        _gather ??= new List<ArraySegment<byte>>(capacity: 16);
        _gather.Clear();
        foreach (ReadOnlyMemory<byte> block in buffer)
        {
            if (!MemoryMarshal.TryGetArray(block, out ArraySegment<byte> segment))
            {
                return await SendOneByOneAsync(buffer).ConfigureAwait(false);
            }

            _gather.Add(segment);
        }

        try
        {
            return await _socket.SendAsync(_gather, SocketFlags.None).ConfigureAwait(false);
        }
        finally
        {
            _gather.Clear();
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
