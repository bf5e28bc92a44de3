using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PeerEngine.Diagnostics;

namespace PeerEngine.Transport.Sockets;

/// <summary>
/// A bound, listening socket (TCP or Unix domain) that hands out <see cref="SocketConnection"/>s.
/// Running out of file descriptors does not end it: accepting backs off and resumes, and the
/// connections already open keep being served.
/// </summary>
internal sealed class SocketListener : IConnectionListener
{
    private static readonly TimeSpan FirstAcceptBackoff = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan LastAcceptBackoff = TimeSpan.FromSeconds(1);

    private readonly Socket _socket;
    private readonly SocketPipeOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly PeerEngineMetrics _metrics;
    private readonly string? _unixSocketPath;
    private readonly CancellationTokenSource _disposed = new();

    // Set when accepting ran out of descriptors or came near the limit: until a count shows the
    // runtime's reserve free again, each accepted connection is checked against a count, not only
    // against its descriptor's number (which says nothing of the holes closed connections leave below it).
    private volatile bool _shortOfDescriptors;

    private SocketListener(Socket socket, SocketPipeOptions options, string? unixSocketPath)
    {
        _metrics = options.Settings.Metrics;
        _socket = socket;
        _options = options;
        _logger = options.Settings.Logger;
        _time = options.Settings.Time;
        _unixSocketPath = unixSocketPath;
        EndPoint = socket.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    /// <summary>Binds and listens on <paramref name="endPoint"/>: an IP endpoint (port 0 picks one) or a Unix socket path.</summary>
    public static SocketListener Bind(EndPoint endPoint, int backlog, SocketPipeOptions options)
    {
        string? unixPath = (endPoint as UnixDomainSocketEndPoint)?.ToString();
        Socket socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (unixPath is not null)
            {
                UnixSocketFiles.RemoveIfStale(unixPath);
            }
            else if (endPoint is IPEndPoint { Address: var address } && address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.Bind(endPoint);
            if (unixPath is not null && !OperatingSystem.IsWindows())
            {
                // Connecting takes write permission on the socket file: only the owner may. Set
                // between bind and listen, so nobody connects while the umask's mode still holds.
                File.SetUnixFileMode(unixPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            socket.Listen(backlog);
            return new SocketListener(socket, options, unixPath);
        }
        catch (SocketException e)
        {
            // The bare SocketException does not say which address: an operator needs it.
            socket.Dispose();
            throw new IOException($"Cannot listen on {endPoint}: {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask<TransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposed.Token);
        TimeSpan backoff = FirstAcceptBackoff;
        while (true)
        {
            try
            {
                Socket accepted = await _socket.AcceptAsync(linked.Token).ConfigureAwait(false);
                if (TryStart(accepted) is { } connection)
                {
                    return connection;
                }
            }
            catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
            {
                return null;
            }
            catch (ObjectDisposedException)
            {
                return null;
            }
            catch (SocketException e) when (IsOutOfDescriptors(e.SocketErrorCode))
            {
                // EMFILE/ENFILE: the pending connection stays in the backlog. Spinning on accept would
                // burn a core and starve the runtime of the descriptors it needs, so wait, doubling up
                // to a second, and try again; the connections already open are unaffected. Until a
                // count shows the runtime's reserve free again, connections are checked against it.
                _shortOfDescriptors = true;
                PeerEngineLog.AcceptOutOfDescriptors(_logger, EndPoint, backoff.TotalMilliseconds);
                _metrics.AcceptBackoffs.Add(1);
                await Task.Delay(backoff, _time, linked.Token).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, LastAcceptBackoff.Ticks));
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                // The client gave up while in the backlog: nothing to serve, keep accepting.
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        if (!_disposed.IsCancellationRequested)
        {
            _disposed.Cancel();
            _socket.Dispose();
            if (_unixSocketPath is not null)
            {
                UnixSocketFiles.Remove(_unixSocketPath);
            }
        }

        _disposed.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The accepted socket as a started connection; <c>null</c> when the client went away between
    /// the accept and the setup (setting an option on a socket the peer has reset fails), which must
    /// cost that connection only, never the accept loop.
    /// </summary>
    private SocketConnection? TryStart(Socket accepted)
    {
        bool nearLimit = DescriptorLimit.IsNearLimit(accepted.Handle);
        if (nearLimit || (_shortOfDescriptors && !ReserveIsFree()))
        {
            _shortOfDescriptors = true;
            // Whatever the connection cap, the last descriptors are the runtime's: refused at once.
            PeerEngineLog.ConnectionRefusedNearDescriptorLimit(_logger, accepted.RemoteEndPoint, DescriptorLimit.RuntimeReserve, DescriptorLimit.SoftLimit ?? 0);
            _metrics.RejectedConnections.Add(1);
            accepted.Dispose();
            return null;
        }

        try
        {
            if (accepted.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            {
                accepted.NoDelay = true;
            }

            var connection = new SocketConnection(accepted, _options);
            connection.Start();
            return connection;
        }
        catch (SocketException)
        {
            accepted.Dispose();
            return null;
        }
    }

    /// <summary>Whether the runtime's reserve is free, by a count; ends the short state once there is room to spare.</summary>
    private bool ReserveIsFree()
    {
        long? free = DescriptorLimit.CountFree();
        if (free is null || free >= 2 * DescriptorLimit.RuntimeReserve)
        {
            _shortOfDescriptors = false;
        }

        return free is null || free >= DescriptorLimit.RuntimeReserve;
    }

    private static bool IsOutOfDescriptors(SocketError error) =>
        error is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable;
}
