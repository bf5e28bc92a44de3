using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;
using Microsoft.Extensions.ObjectPool;

namespace PeerEngine.Transport.Sockets;

/// <summary>
/// One send of a connection's output, pooled: a batch that spans blocks goes out in one sendmsg (a
/// gather write) where <see cref="Socket.SendAsync(IList{ArraySegment{byte}})"/> would allocate a
/// task per send, and one block goes out as a plain send.
/// </summary>
/// <remarks>
/// Senders belong to the process, not to connections: a connection holds one only while a send is
/// in flight. <see cref="Socket.SendAsync(ReadOnlyMemory{byte}, SocketFlags, CancellationToken)"/>
/// would instead cache an event-args object (about 360 bytes) in every socket for its lifetime, and
/// a per-connection gather sender another 900 once it had sent a large frame: together half of
/// what the idle-connection budget allows (about 3.5 KiB each).
/// </remarks>
internal sealed class SocketSender : SocketAsyncEventArgs, IValueTaskSource<int>
{
    // Enough for every send in flight at once on a busy node; more are created and dropped.
    private static readonly ObjectPool<SocketSender> Pool =
        new DefaultObjectPool<SocketSender>(new DefaultPooledObjectPolicy<SocketSender>(), maximumRetained: 256);

    private readonly List<ArraySegment<byte>> _blocks = new(capacity: 16);

    // The send loop is the only caller and awaits each send before the next, so the continuation may
    // run inline on the completing I/O thread: it only advances the pipe and reads again.
    private ManualResetValueTaskSourceCore<int> _core;

    public SocketSender()
        : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    public static SocketSender Rent() => Pool.Get();

    /// <summary>Back to the pool, once the send given to it has completed.</summary>
    public void Return() => Pool.Return(this);

    /// <summary>Whether every block of <paramref name="buffer"/> is array-backed, so it can be sent from here.</summary>
    public bool TryPrepare(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            SetBuffer(MemoryMarshal.AsMemory(buffer.First));
            return true;
        }

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
        if (_blocks.Count > 0)
        {
            BufferList = _blocks;
        }

        bool pending;
        try
        {
            pending = socket.SendAsync(this);
        }
        catch
        {
            // A disposed socket throws here: a pooled sender must go back without the batch, or
            // its next user would find a buffer set and could not set a buffer list.
            Release();
            throw;
        }

        return pending ? new ValueTask<int>(this, _core.Version) : CompletedSynchronously();
    }

    public int GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    protected override void OnCompleted(SocketAsyncEventArgs e)
    {
        Release();
        if (SocketError == SocketError.Success)
        {
            _core.SetResult(BytesTransferred);
        }
        else
        {
            _core.SetException(new SocketException((int)SocketError));
        }
    }

    /// <summary>
    /// Lets go of the sent blocks: they go back to the pool with the pipe's segments, and a pooled
    /// sender must not keep the last batch it sent (a 64 KiB frame's blocks) alive.
    /// </summary>
    private void Release()
    {
        if (_blocks.Count > 0)
        {
            BufferList = null;
            _blocks.Clear();
        }
        else
        {
            SetBuffer(Memory<byte>.Empty);
        }
    }

    private ValueTask<int> CompletedSynchronously()
    {
        Release();
        return SocketError == SocketError.Success
            ? new ValueTask<int>(BytesTransferred)
            : ValueTask.FromException<int>(new SocketException((int)SocketError));
    }
}
