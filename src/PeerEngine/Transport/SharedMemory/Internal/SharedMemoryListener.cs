using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using PeerEngine.Diagnostics;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Transport.SharedMemory.Internal;

/// <summary>
/// A Unix-socket listener and, beside it, the shared-memory setup socket of the same node, as one
/// listener: connections of both kinds come out of <see cref="AcceptAsync"/>. Setups run off the
/// accept loop, a bounded number at once, each within its own timeout, so a dialler that connects and
/// says nothing holds nobody up.
/// </summary>
internal sealed class SharedMemoryListener : IConnectionListener
{
    private readonly IConnectionListener _plain;
    private readonly Socket _setup;
    private readonly string _setupPath;
    private readonly SocketPipeOptions _pipes;
    private readonly PeerSharedMemoryOptions _options;
    private readonly ILogger _logger;
    private readonly Channel<TransportConnection> _accepted = Channel.CreateUnbounded<TransportConnection>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _disposed = new();
    private readonly SemaphoreSlim _setups;
    private readonly Task _acceptingPlain;
    private readonly Task _acceptingSetups;

    public SharedMemoryListener(IConnectionListener plain, Socket setup, string setupPath, SocketPipeOptions pipes, PeerSharedMemoryOptions options)
    {
        _plain = plain;
        _setup = setup;
        _setupPath = setupPath;
        _pipes = pipes;
        _options = options;
        _logger = pipes.Settings.Logger;
        _setups = new SemaphoreSlim(options.MaxSetupsInProgress);
        using (ExecutionContext.SuppressFlow())
        {
            _acceptingPlain = AcceptPlainAsync();
            _acceptingSetups = AcceptSetupsAsync();
        }
    }

    public EndPoint EndPoint => _plain.EndPoint;

    public async ValueTask<TransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _accepted.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        _disposed.Cancel();
        _setup.Dispose();
        UnixSocketFiles.Remove(_setupPath);
        await _plain.DisposeAsync().ConfigureAwait(false);
        await Task.WhenAll(_acceptingPlain, _acceptingSetups).ConfigureAwait(false);
        _accepted.Writer.TryComplete();

        // Accepted but never handed out: nobody else will close them.
        while (_accepted.Reader.TryRead(out TransportConnection? left))
        {
            await left.DiscardAsync().ConfigureAwait(false);
        }
    }

    private async Task AcceptPlainAsync()
    {
        try
        {
            while (await _plain.AcceptAsync(_disposed.Token).ConfigureAwait(false) is { } connection)
            {
                await OfferAsync(connection).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            // The plain listener ends only when disposed: so does this one.
            _accepted.Writer.TryComplete();
        }
    }

    private async Task AcceptSetupsAsync()
    {
        var running = new List<Task>();
        try
        {
            while (true)
            {
                await _setups.WaitAsync(_disposed.Token).ConfigureAwait(false);
                Socket accepted;
                try
                {
                    accepted = await _setup.AcceptAsync(_disposed.Token).ConfigureAwait(false);
                }
                catch
                {
                    _setups.Release();
                    throw;
                }

                running.RemoveAll(t => t.IsCompleted);
                running.Add(SetUpAsync(accepted));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Disposed (a socket error other than that would end shared memory only: the plain
            // listener keeps serving).
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task SetUpAsync(Socket accepted)
    {
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token);
            deadline.CancelAfter(_options.SetupTimeout);
            (SharedMapping? mapping, string? problem) = await SetupExchange.AcceptAsync(accepted, _options.RingSize, deadline.Token).ConfigureAwait(false);
            if (mapping is null)
            {
                PeerEngineLog.SharedMemorySetupRefused(_logger, _setupPath, problem!);
                accepted.Dispose();
                return;
            }

            var connection = new RingConnection(accepted, mapping, dialler: false, _pipes, _options.SpinDuration);
            connection.Start();
            await OfferAsync(connection).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
            if (!_disposed.IsCancellationRequested)
            {
                PeerEngineLog.SharedMemorySetupRefused(_logger, _setupPath, e is OperationCanceledException ? $"no setup message within {_options.SetupTimeout.TotalSeconds:0.###} s" : e.Message);
            }

            accepted.Dispose();
        }
        finally
        {
            _setups.Release();
        }
    }

    private async ValueTask OfferAsync(TransportConnection connection)
    {
        if (!_accepted.Writer.TryWrite(connection))
        {
            await connection.DiscardAsync().ConfigureAwait(false);
        }
    }
}
