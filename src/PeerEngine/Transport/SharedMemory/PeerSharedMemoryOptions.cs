namespace PeerEngine;

/// <summary>
/// The shared-memory transport between peers of one machine: a ring per direction in memory both
/// processes map, set up over the peer's Unix socket (so only a node with
/// <see cref="PeerNodeOptions.UnixSocketPath"/> offers it). Linux only; elsewhere the node uses its
/// Unix socket or TCP.
/// </summary>
public sealed class PeerSharedMemoryOptions
{
    /// <summary>Default ring size per direction: 256 KiB, four 64 KiB frames in flight.</summary>
    public const int DefaultRingSize = 256 * 1024;

    /// <summary>
    /// Offer shared memory on the node's Unix socket path, and use it to reach peers that offer it.
    /// Default on.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Bytes of each direction's ring: a power of two from 4 KiB to 64 MiB. A connection's shared
    /// memory is twice this plus a 4 KiB page, counted once for both processes; pages are only
    /// allocated once the ring has reached them. A frame larger than the ring streams through it.
    /// As a listener, the largest ring a dialler may ask for. Default 256 KiB.
    /// </summary>
    public int RingSize { get; set; } = DefaultRingSize;

    /// <summary>
    /// How long a side that finds its ring empty (or full) keeps looking before it sleeps and must be
    /// woken with a syscall. Spinning saves the wake-up only when the spinning thread has a core to
    /// itself; where it shares one with its own process's handlers and send loop it delays them, and
    /// every connection spins on its own. Default 0 (sleep at once), measured with the e2e runner,
    /// server and client pinned to one core each, 0 against 20 µs: ping-pong p50 66 against 126 µs,
    /// 64 B requests 64 at a time 526 k/s against 449 k/s, 64 connections 120 k/s against 52 k/s,
    /// 64 KiB 22.1 k/s against 16.9 k/s. Raise it for a few busy connections on a machine with idle cores.
    /// </summary>
    public TimeSpan SpinDuration { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// When the shared memory of a peer that offers it cannot be set up (no memfd, no memory, the peer
    /// refused), dial its Unix socket instead. Off, such a connection fails. Default on.
    /// </summary>
    public bool FallBackToUnixSocket { get; set; } = true;

    /// <summary>
    /// How long a process that connected to the setup socket has to send its setup message before it
    /// is dropped (logged, event 121): one that connects and says nothing holds a setup slot only this
    /// long. Default 5 s.
    /// </summary>
    public TimeSpan SetupTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Setups a listener runs at once; further diallers wait in the socket's backlog until one ends.
    /// Bounds what connecting and never finishing can hold. Default 64.
    /// </summary>
    public int MaxSetupsInProgress { get; set; } = 64;

    /// <summary>
    /// Whether the node listening on Unix socket <paramref name="unixSocketPath"/> offers shared memory
    /// on this system: its setup socket, the same path with <c>.shm</c> appended, exists.
    /// </summary>
    public static bool IsOfferedAt(string unixSocketPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(unixSocketPath);
        return Transport.SharedMemory.SharedMemoryTransport.IsOffered(unixSocketPath);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first option out of range.</summary>
    public void Validate()
    {
        if (RingSize is < 4096 or > 64 * 1024 * 1024 || (RingSize & (RingSize - 1)) != 0)
        {
            throw new ArgumentException($"Option {nameof(RingSize)} must be a power of two from 4096 to 67108864, not {RingSize}.", nameof(RingSize));
        }

        if (SpinDuration < TimeSpan.Zero || SpinDuration > TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException($"Option {nameof(SpinDuration)} must be 0 to 1 s, not {SpinDuration}.", nameof(SpinDuration));
        }

        if (SetupTimeout <= TimeSpan.Zero || SetupTimeout > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentException($"Option {nameof(SetupTimeout)} must be above 0 and at most 5 minutes, not {SetupTimeout}.", nameof(SetupTimeout));
        }

        if (MaxSetupsInProgress is < 1 or > 10_000)
        {
            throw new ArgumentException($"Option {nameof(MaxSetupsInProgress)} must be 1 to 10000, not {MaxSetupsInProgress}.", nameof(MaxSetupsInProgress));
        }
    }
}
