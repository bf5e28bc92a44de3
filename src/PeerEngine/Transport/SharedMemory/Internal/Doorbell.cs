using System.Net.Sockets;

namespace PeerEngine.Transport.SharedMemory.Internal;

/// <summary>
/// The Unix socket a shared-memory connection was set up on, kept for two jobs: wake-ups and liveness.
/// A side that finds its ring empty (or full) announces in the mapping that it sleeps and waits on
/// this socket; the other side, seeing the announcement, sends one byte. Its end of stream is the
/// peer's end: the kernel closes the socket of a process however it dies, SIGKILL included, so that is
/// seen at once, with no timeout.
/// </summary>
/// <remarks>
/// Byte <c>'D'</c>: data was written to the ring the receiver reads. Byte <c>'S'</c>: room was freed
/// in the ring the receiver writes. Anything else is a broken peer. A wake-up is a syscall only for a
/// peer that said it sleeps: a busy writer whose reader keeps up makes none. Waiting on the socket
/// (epoll, through the runtime's socket engine) rather than on a futex keeps no thread parked per idle
/// connection, and wakes on the peer's death as well as on its bell.
/// </remarks>
internal sealed class Doorbell : IDisposable
{
    public const byte DataByte = (byte)'D';
    public const byte SpaceByte = (byte)'S';

    private static readonly byte[] Data = [DataByte];
    private static readonly byte[] Space = [SpaceByte];

    private readonly Socket _socket;
    private readonly byte[] _received = new byte[64];
    private int _peerGone;

    public Doorbell(Socket socket)
    {
        _socket = socket;

        // A ring never blocks: a send that would block means the peer has many unread bells already,
        // and any one of them wakes it (below).
        _socket.Blocking = false;
    }

    /// <summary>Set when bells say data arrived in the inbound ring.</summary>
    public WakeSignal DataArrived { get; } = new();

    /// <summary>Set when bells say room was freed in the outbound ring.</summary>
    public WakeSignal SpaceFreed { get; } = new();

    /// <summary>Whether the peer's socket has ended (it closed, or died), or sent what no peer sends.</summary>
    public bool PeerGone => Volatile.Read(ref _peerGone) != 0;

    /// <summary>Why the peer is gone when it sent something other than a bell.</summary>
    public bool PeerMisbehaved { get; private set; }

    public void RingData() => Ring(Data);

    public void RingSpace() => Ring(Space);

    /// <summary>Reads bells until the peer's socket ends, then wakes both loops for good.</summary>
    public async Task ListenAsync()
    {
        try
        {
            while (true)
            {
                // The Memory overload: a pooled ValueTask, where the array overload makes a Task per bell.
                int count = await _socket.ReceiveAsync(_received.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                if (count == 0)
                {
                    break;
                }

                bool data = false, space = false;
                foreach (byte bell in _received.AsSpan(0, count))
                {
                    data |= bell == DataByte;
                    space |= bell == SpaceByte;
                    if (bell is not DataByte and not SpaceByte)
                    {
                        PeerMisbehaved = true;
                    }
                }

                if (PeerMisbehaved)
                {
                    break;
                }

                // Room first: the receive loop a data bell wakes runs on this thread until it next waits.
                if (space)
                {
                    SpaceFreed.Signal();
                }

                if (data)
                {
                    DataArrived.Signal();
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Reset, or closed by this side's abort: gone either way.
        }
        finally
        {
            Volatile.Write(ref _peerGone, 1);
            SpaceFreed.Signal();
            DataArrived.Signal();
        }
    }

    public void Dispose() => _socket.Dispose();

    private void Ring(byte[] bell)
    {
        try
        {
            _socket.Send(bell, SocketFlags.None, out SocketError error);

            // WouldBlock: bells pending already will wake the peer. Any other error: the peer is gone,
            // which the listening loop reports.
            _ = error;
        }
        catch (ObjectDisposedException)
        {
            // Aborted meanwhile.
        }
    }
}
