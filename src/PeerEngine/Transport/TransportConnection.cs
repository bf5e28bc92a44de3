using System.IO.Pipelines;
using System.Net;

namespace PeerEngine.Transport;

/// <summary>
/// One byte stream to a peer as a pair of pipes: <see cref="Input"/> yields what the peer sent,
/// <see cref="Output"/> takes what to send. Sockets and the in-memory test transport both look like
/// this to the protocol layer.
/// </summary>
/// <remarks>
/// Completing <see cref="Output"/> is a graceful end of sending (the transport flushes, then shuts its
/// sending side down). The peer's end of sending completes <see cref="Input"/> normally; a reset
/// completes it with a <see cref="ConnectionResetException"/>.
/// Whoever reads <see cref="Input"/> completes it when done, on every path, a failed read included:
/// a pipe returns its blocks to the pool only once both of its ends are complete.
/// </remarks>
internal abstract class TransportConnection : IAsyncDisposable
{
    /// <summary>What the peer sent.</summary>
    public abstract PipeReader Input { get; }

    /// <summary>What to send to the peer.</summary>
    public abstract PipeWriter Output { get; }

    /// <summary>The peer's address, for logs and diagnostics.</summary>
    public abstract EndPoint? RemoteEndPoint { get; }

    /// <summary>This side's address.</summary>
    public abstract EndPoint? LocalEndPoint { get; }

    /// <summary>Tears the connection down at once: pending reads and sends end, nothing more is sent.</summary>
    public abstract void Abort();

    /// <summary>Waits for both directions to end, then releases the connection's resources.</summary>
    public abstract ValueTask DisposeAsync();

    /// <summary>
    /// Closes a connection that no protocol reads (refused, or given up before the protocol started):
    /// tears it down, and completes its input, whose pipe gives its blocks back only once both its ends
    /// are complete.
    /// </summary>
    public async ValueTask DiscardAsync()
    {
        Abort();
        await Input.CompleteAsync().ConfigureAwait(false);
        await DisposeAsync().ConfigureAwait(false);
    }
}
