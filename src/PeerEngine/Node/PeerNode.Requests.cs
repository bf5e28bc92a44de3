using System.Diagnostics;
using System.Net;
using PeerEngine.Buffers;
using PeerEngine.ConnectionPool;
using PeerEngine.Connections;
using PeerEngine.Diagnostics;

namespace PeerEngine;

public sealed partial class PeerNode
{
    /// <summary>
    /// Sends a REQUEST to peer <paramref name="peerId"/> and returns its RESPONSE payload, pooled:
    /// dispose it when done. A connection is opened on first use and reused afterwards.
    /// </summary>
    /// <param name="peerId">The peer, by id.</param>
    /// <param name="payload">The request; it must stay unchanged until the returned task completes.</param>
    /// <param name="timeout">How long to wait for the answer, opening a connection included; <c>null</c> for <see cref="PeerConnectionOptions.RequestTimeout"/>.</param>
    /// <param name="cancellationToken">Cancels the wait; a late answer is ignored.</param>
    /// <exception cref="PeerNotFoundException">No live peer has that id.</exception>
    /// <exception cref="PeerUnavailableException">The peer cannot be reached now.</exception>
    /// <exception cref="PeerErrorException">The peer answered with an ERROR.</exception>
    /// <exception cref="ConnectionLostException">The connection died before the answer.</exception>
    /// <exception cref="PayloadTooLargeException">The payload is over the maximum; nothing was sent.</exception>
    /// <exception cref="TimeoutException">No answer within the timeout.</exception>
    public ValueTask<PooledPayload> RequestAsync(string peerId, ReadOnlyMemory<byte> payload, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        // Measured only while someone listens: otherwise a request costs no clock read and no span.
        if (_metrics.RequestDuration.Enabled || PeerEngineActivities.Source.HasListeners())
        {
            return InstrumentedRequestAsync(peerId, payload, timeout, cancellationToken);
        }

        return UninstrumentedRequestAsync(peerId, payload, timeout, cancellationToken);
    }

    private ValueTask<PooledPayload> UninstrumentedRequestAsync(string peerId, ReadOnlyMemory<byte> payload, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        if (PoolOf(peerId, out Exception? refused) is not { } pool)
        {
            return ValueTask.FromException<PooledPayload>(refused!);
        }

        ValueTask<PeerConnection> connecting = pool.GetAsync(cancellationToken);
        if (connecting.IsCompletedSuccessfully)
        {
            return connecting.Result.RequestAsync(payload, timeout, cancellationToken);
        }

        return RequestWhenConnectedAsync(connecting, payload, timeout, cancellationToken);
    }

    /// <summary>Sends a one-way MESSAGE to peer <paramref name="peerId"/>.</summary>
    /// <exception cref="PeerNotFoundException">No live peer has that id.</exception>
    /// <exception cref="PeerUnavailableException">The peer cannot be reached now.</exception>
    /// <exception cref="ConnectionLostException">The connection is closing or ended.</exception>
    /// <exception cref="PayloadTooLargeException">The payload is over the maximum; nothing was sent.</exception>
    public ValueTask SendAsync(string peerId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        if (PoolOf(peerId, out Exception? refused) is not { } pool)
        {
            return ValueTask.FromException(refused!);
        }

        ValueTask<PeerConnection> connecting = pool.GetAsync(cancellationToken);
        if (connecting.IsCompletedSuccessfully)
        {
            return connecting.Result.SendMessageAsync(payload, cancellationToken);
        }

        return SendWhenConnectedAsync(connecting, payload, cancellationToken);
    }

    /// <summary>Sends a one-way MESSAGE to every live peer; a peer that cannot be reached is reported, not thrown.</summary>
    public async Task<BroadcastResult> BroadcastAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        PeerRecord[] peers = [.. _peers.Values];

        // Each send fails through its task (a peer that left, said GOODBYE, or a node that is
        // stopping), so every send is started and every one is observed here.
        Task[] sends = [.. peers.Select(p => SendAsync(p.Id, payload, cancellationToken).AsTask())];
        await Task.WhenAll(sends).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        var failures = new List<KeyValuePair<string, Exception>>();
        for (int i = 0; i < peers.Length; i++)
        {
            Task send = sends[i];
            if (!send.IsCompletedSuccessfully)
            {
                failures.Add(new(peers[i].Id, send.Exception?.InnerException ?? new OperationCanceledException(cancellationToken)));
            }
        }

        return new BroadcastResult(peers.Length - failures.Count, failures);
    }

    private async ValueTask<PooledPayload> InstrumentedRequestAsync(string peerId, ReadOnlyMemory<byte> payload, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        // Spans stay in this process: wire protocol v1 has no field for trace context.
        using Activity? activity = PeerEngineActivities.Source.StartActivity("peerengine.request", ActivityKind.Client);
        activity?.SetTag("peerengine.peer.id", peerId);
        activity?.SetTag("peerengine.request.size", payload.Length);
        long started = _time.GetTimestamp();
        try
        {
            return await UninstrumentedRequestAsync(peerId, payload, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
            throw;
        }
        finally
        {
            _metrics.RequestDuration.Record(_time.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>
    /// A request that must wait for a connection first: its timeout covers the connect too, or a peer
    /// whose kernel accepts but whose process does not answer (frozen) would hold it for the whole
    /// handshake timeout. The connect itself goes on for the callers after this one.
    /// </summary>
    private async ValueTask<PooledPayload> RequestWhenConnectedAsync(ValueTask<PeerConnection> connecting, ReadOnlyMemory<byte> payload, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        TimeSpan limit = timeout ?? _options.Connections.RequestTimeout;
        if (limit == Timeout.InfiniteTimeSpan)
        {
            PeerConnection opened = await connecting.ConfigureAwait(false);
            return await opened.RequestAsync(payload, timeout, cancellationToken).ConfigureAwait(false);
        }

        long started = _time.GetTimestamp();
        PeerConnection connection;
        try
        {
            connection = await connecting.AsTask().WaitAsync(limit, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No connection to the peer within the request's {limit.TotalSeconds:0.###} s (option RequestTimeout); the connect goes on for later requests.");
        }

        TimeSpan left = limit - _time.GetElapsedTime(started);
        return await connection.RequestAsync(payload, left > TimeSpan.Zero ? left : TimeSpan.FromTicks(1), cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask SendWhenConnectedAsync(ValueTask<PeerConnection> connecting, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        PeerConnection connection = await connecting.ConfigureAwait(false);
        await connection.SendMessageAsync(payload, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The pool of connections to <paramref name="peerId"/>, made on first use; or why there is none.</summary>
    /// <remarks>The reason is returned, not thrown: every failure of a request reaches its caller through the returned task.</remarks>
    private PeerConnectionPool? PoolOf(string peerId, out Exception? refused)
    {
        ArgumentNullException.ThrowIfNull(peerId);
        refused = null;
        if (_state != State.Running)
        {
            refused = _state == State.Stopped
                ? Stopped()
                : new InvalidOperationException("The node is not running: call StartAsync first.");
            return null;
        }

        if (_pools.TryGetValue(peerId, out PeerConnectionPool? pool))
        {
            return pool;
        }

        if (peerId == Id)
        {
            refused = new PeerNotFoundException(peerId, $"'{peerId}' is this node's own id: a node does not send to itself.");
            return null;
        }

        if (!TryFindPeer(peerId, out PeerRecord peer))
        {
            refused = new PeerNotFoundException(peerId);
            return null;
        }

        if (!TryGetEndPoint(peer, out EndPoint? endPoint))
        {
            refused = new PeerNotFoundException(peerId);
            return null;
        }

        pool = _pools.GetOrAdd(peerId, static (id, state) =>
            new PeerConnectionPool(id, state.EndPoint, state.Node._connector!, state.Node._options.Pool, state.Node._time, state.Node._metrics), (Node: this, EndPoint: endPoint));
        if (_state != State.Running)
        {
            // The node began stopping after the check above, and may have closed its pools before
            // this one was added: nobody would close it, nor the connection it would open.
            if (_pools.TryRemove(peerId, out PeerConnectionPool? late))
            {
                _ = late.DisposeAsync().AsTask();
            }

            refused = Stopped();
            return null;
        }

        return pool;
    }

    private static ObjectDisposedException Stopped() => new(nameof(PeerNode), "The node is stopping or has stopped.");
}
