using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace PeerEngine.Transport.Sockets;

/// <summary>
/// Sends several blocks in one sendmsg (a gather write) with a reusable
/// <see cref="SocketAsyncEventArgs"/>: <see cref="Socket.SendAsync(IList{ArraySegment{byte}})"/> would
/// allocate a task per send, and a batch of pipelined frames usually spans blocks.
/// </summary>
internal sealed class SocketSender : SocketAsyncEventArgs, IValueTaskSource<int>
{
    private readonly List<ArraySegment<byte>> _blocks = new(capacity: 16);

    // The send loop is the only caller and awaits each send before the next, so the continuation may
    // run inline on the completing I/O thread: it only advances the pipe and reads again.
    private ManualResetValueTaskSourceCore<int> _core;

    public SocketSender()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    /// <summary>Whether every block of <paramref name="buffer"/> is array-backed, so it can be gathered.</summary>
    public bool TryPrepare(in ReadOnlySequence<byte> buffer)
    {
        _blocks.Clear();
        foreach (ReadOnlyMemory<byte> block in buffer)
        {
            if (!MemoryMarshal.TryGetArray(block, out ArraySegment<byte> segment))
            {
                _blocks.Clear();
                return false;
            }

            _blocks.Add(segment);
        }

        return true;
    }

    /// <summary>Sends the blocks given to <see cref="TryPrepare"/>, all of them.</summary>
    public ValueTask<int> SendAsync(Socket socket)
    {
        _core.Reset();
        BufferList = _blocks;
        if (socket.SendAsync(this))
        {
            return new ValueTask<int>(this, _core.Version);
        }

        return CompletedSynchronously();
    }

    public int GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        BufferList = null;
        if (SocketError == SocketError.Success)
        {
            _core.SetResult(BytesTransferred);
        }
        else
        {
            _core.SetException(new SocketException((int)SocketError));
        }
    }

    private ValueTask<int> CompletedSynchronously()
    {
        BufferList = null;
        return SocketError == SocketError.Success
            ? new ValueTask<int>(BytesTransferred)
            : ValueTask.FromException<int>(new SocketException((int)SocketError));
    }
}
