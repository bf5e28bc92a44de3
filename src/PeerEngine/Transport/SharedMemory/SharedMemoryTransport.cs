using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PeerEngine.Diagnostics;
using PeerEngine.Transport.SharedMemory.Internal;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Transport.SharedMemory;

/// <summary>
/// Shared-memory rings between processes of one machine, in front of another transport (the socket
/// transport): it takes over Unix socket paths and hands everything else to the transport behind it.
/// </summary>
/// <remarks>
/// A node listening on Unix socket <c>PATH</c> also offers shared memory on the setup socket
/// <c>PATH.shm</c> (<see cref="SetupPath"/>): derived from the path the registry already publishes,
/// so the registry's record layout is unchanged, and a separate socket, so a plain Unix-socket client
/// on <c>PATH</c> is served exactly as before. Dialling <c>PATH</c> tries <c>PATH.shm</c> first; when
/// nothing listens there, or the mapping cannot be made or is refused, it dials <c>PATH</c> itself
/// (unless <see cref="PeerSharedMemoryOptions.FallBackToUnixSocket"/> is off).
/// </remarks>
internal sealed class SharedMemoryTransport : IConnectionTransport
{
    private const string SetupSuffix = ".shm";

    private readonly IConnectionTransport _inner;
    private readonly PeerSharedMemoryOptions _options;
    private readonly SocketPipeOptions _pipes;
    private readonly ILogger _logger;

    public SharedMemoryTransport(IConnectionTransport inner, TransportSettings settings, PeerSharedMemoryOptions options)
    {
        options.Validate();
        _inner = inner;
        _options = options;
        _pipes = new SocketPipeOptions(settings);
        _logger = settings.Logger;
    }

    /// <summary>Whether this system can make the rings (memfd and SCM_RIGHTS: Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>
    /// The transport made by <paramref name="inner"/> with shared memory in front of it, when
    /// <paramref name="options"/> enable it and the system supports it; otherwise <paramref name="inner"/> alone.
    /// </summary>
    public static TransportFactory Over(TransportFactory inner, PeerSharedMemoryOptions options) =>
        options.Enabled && IsSupported
            ? settings => new SharedMemoryTransport(inner(settings), settings, options)
            : inner;

    /// <summary>The setup socket of a node listening on Unix socket <paramref name="unixSocketPath"/>.</summary>
    public static string SetupPath(string unixSocketPath) => unixSocketPath + SetupSuffix;

    /// <summary>Whether a node listening on <paramref name="unixSocketPath"/> offers shared memory (its setup socket exists).</summary>
    public static bool IsOffered(string unixSocketPath) => IsSupported && File.Exists(SetupPath(unixSocketPath));

    public IConnectionListener Listen(EndPoint endPoint, int backlog)
    {
        IConnectionListener plain = _inner.Listen(endPoint, backlog);
        if (endPoint is not UnixDomainSocketEndPoint unix)
        {
            return plain;
        }

        string setupPath = SetupPath(unix.ToString());
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            UnixSocketFiles.RemoveIfStale(setupPath);
            socket.Bind(new UnixDomainSocketEndPoint(setupPath));

            // Owner-only: the mapping is offered to this user's processes (checked again per connection).
            if (OperatingSystem.IsLinux())
            {
                File.SetUnixFileMode(setupPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            socket.Listen(backlog);
            return new SharedMemoryListener(plain, socket, setupPath, _pipes, _options);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            // The node still serves its Unix socket; dialers fall back to it.
            socket.Dispose();
            PeerEngineLog.SharedMemoryNotOffered(_logger, setupPath, e.Message);
            return plain;
        }
    }

    public async ValueTask<TransportConnection> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
    {
        if (endPoint is not UnixDomainSocketEndPoint unix)
        {
            return await _inner.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await ConnectRingAsync(SetupPath(unix.ToString()), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or ArgumentException && !cancellationToken.IsCancellationRequested)
        {
            bool notOffered = e is SocketException { SocketErrorCode: SocketError.AddressNotAvailable or SocketError.ConnectionRefused or SocketError.AccessDenied }
                || !File.Exists(SetupPath(unix.ToString()));
            if (!_options.FallBackToUnixSocket)
            {
                throw new ConnectionRefusedException(
                    notOffered ? $"{endPoint} offers no shared memory." : $"Shared memory to {endPoint} cannot be set up: {e.Message}", e);
            }

            if (!notOffered)
            {
                PeerEngineLog.SharedMemoryFallback(_logger, endPoint, e.Message);
            }

            return await _inner.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<TransportConnection> ConnectRingAsync(string setupPath, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(setupPath), cancellationToken).ConfigureAwait(false);
            SharedMapping mapping = await SetupExchange.DialAsync(socket, _options.RingSize, cancellationToken).ConfigureAwait(false);
            var connection = new RingConnection(socket, mapping, dialler: true, _pipes, _options.SpinDuration);
            connection.Start();
            return connection;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
