using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
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
    public ValueTask<PooledPayload> RequestAsync(string peerId, ReadOnlyMemory<byte> payload, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Request(PoolOf(peerId, out Exception? refused), refused, payload, timeout, cancellationToken);

    /// <summary>
    /// Sends a REQUEST to the node listening at <paramref name="address"/>, whatever its id, without
    /// discovery; otherwise as <see cref="RequestAsync(string, ReadOnlyMemory{byte}, TimeSpan?, CancellationToken)"/>.
    /// Connections to an address are pooled like those to a peer, and a node that does not listen
    /// (<see cref="PeerNodeOptions.Listen"/> false) can dial addresses too.
    /// </summary>
    /// <exception cref="PeerUnavailableException">Nothing answers at that address now.</exception>
    /// <exception cref="PeerErrorException">The peer answered with an ERROR.</exception>
    /// <exception cref="ConnectionLostException">The connection died before the answer.</exception>
    /// <exception cref="PayloadTooLargeException">The payload is over the maximum; nothing was sent.</exception>
    /// <exception cref="TimeoutException">No answer within the timeout.</exception>
#pragma warning disable RS0026 // The overloads differ in their first parameter (an id or an address): no call is ambiguous.
    public ValueTask<PooledPayload> RequestAsync(PeerAddress address, ReadOnlyMemory<byte> payload, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Request(PoolAt(address, out Exception? refused), refused, payload, timeout, cancellationToken);

    /// <summary>Sends a one-way MESSAGE to peer <paramref name="peerId"/>.</summary>
    /// <exception cref="PeerNotFoundException">No live peer has that id.</exception>
    /// <exception cref="PeerUnavailableException">The peer cannot be reached now.</exception>
    /// <exception cref="ConnectionLostException">The connection is closing or ended.</exception>
    /// <exception cref="PayloadTooLargeException">The payload is over the maximum; nothing was sent.</exception>
    public ValueTask SendAsync(string peerId, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        Send(PoolOf(peerId, out Exception? refused), refused, payload, cancellationToken);

    /// <summary>
    /// Opens a connection to the node listening at <paramref name="address"/> now, handshake done, unless
    /// one is open: the first request then does not pay for it.
    /// </summary>
    /// <exception cref="PeerUnavailableException">Nothing answers at that address now.</exception>
    public async Task ConnectAsync(PeerAddress address, CancellationToken cancellationToken = default)
    {
        PeerConnectionPool pool = PoolAt(address, out Exception? refused) ?? throw refused!;
        await pool.GetAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a one-way MESSAGE to the node listening at <paramref name="address"/>, whatever its id, without discovery.</summary>
    /// <exception cref="PeerUnavailableException">Nothing answers at that address now.</exception>
    /// <exception cref="ConnectionLostException">The connection is closing or ended.</exception>
    /// <exception cref="PayloadTooLargeException">The payload is over the maximum; nothing was sent.</exception>
    public ValueTask SendAsync(PeerAddress address, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default) =>
        Send(PoolAt(address, out Exception? refused), refused, payload, cancellationToken);
#pragma warning restore RS0026

    private ValueTask<PooledPayload> Request(PeerConnectionPool? pool, Exception? refused, ReadOnlyMemory<byte> payload, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        // Measured only while someone listens: otherwise a request costs no clock read and no span.
        if (_metrics.RequestDuration.Enabled || PeerEngineActivities.Source.HasListeners())
        {
            return InstrumentedRequestAsync(pool, refused, payload, timeout, cancellationToken);
        }

        return pool is null
            ? ValueTask.FromException<PooledPayload>(refused!)
            : UninstrumentedRequestAsync(pool, payload, timeout, cancellationToken);
    }

    private ValueTask<PooledPayload> UninstrumentedRequestAsync(PeerConnectionPool pool, ReadOnlyMemory<byte> payload, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ValueTask<PeerConnection> connecting = pool.GetAsync(cancellationToken);
        if (connecting.IsCompletedSuccessfully)
        {
            return connecting.Result.RequestAsync(payload, timeout, cancellationToken);
        }

        return RequestWhenConnectedAsync(connecting, payload, timeout, cancellationToken);
    }

    private static ValueTask Send(PeerConnectionPool? pool, Exception? refused, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        // A span only while someone listens: otherwise a send costs no span and no allocation.
        if (PeerEngineActivities.Enabled)
        {
            return InstrumentedSendAsync(pool, refused, payload, cancellationToken);
        }

        return UninstrumentedSend(pool, refused, payload, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask InstrumentedSendAsync(PeerConnectionPool? pool, Exception? refused, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        using Activity? activity = PeerEngineActivities.StartSend("send", pool?.PeerId, payload.Length);
        try
        {
            await UninstrumentedSend(pool, refused, payload, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            PeerEngineActivities.Failed(activity, e);
            throw;
        }
    }

    private static ValueTask UninstrumentedSend(PeerConnectionPool? pool, Exception? refused, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (pool is null)
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
        using Activity? activity = PeerEngineActivities.Enabled ? PeerEngineActivities.StartSend("broadcast", null, payload.Length) : null;
        activity?.SetTag(SpanTags.MessageCount, peers.Length);

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

    // Pooled: with a listener that samples nothing, the state machine would be a request's only allocation.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<PooledPayload> InstrumentedRequestAsync(PeerConnectionPool? pool, Exception? refused, ReadOnlyMemory<byte> payload, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        // Current while the REQUEST is written, so that a version-2 connection carries it to the peer.
        using Activity? activity = PeerEngineActivities.Enabled ? PeerEngineActivities.StartRequest(pool?.PeerId, payload.Length) : null;
        long started = _time.GetTimestamp();
        try
        {
            return pool is null
                ? throw refused!
                : await UninstrumentedRequestAsync(pool, payload, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            PeerEngineActivities.Failed(activity, e);
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
        if (NotRunning() is { } notRunning)
        {
            refused = notRunning;
            return null;
        }

        refused = null;
        if (_pools.TryGetValue(peerId, out PeerConnectionPool? pool))
        {
            return pool;
        }

        if (peerId == Id)
        {
            refused = new PeerNotFoundException(peerId, $"'{peerId}' is this node's own id: a node does not send to itself.");
            return null;
        }

        if (_discovery is null)
        {
            refused = new PeerNotFoundException(peerId, $"No peer '{peerId}': this node does not discover peers (option Discover is off); reach it by address.");
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
        return KeptIfRunning(_pools, peerId, pool, out refused);
    }

    /// <summary>The pool of connections to whatever node listens at <paramref name="address"/>, made on first use; or why there is none.</summary>
    private PeerConnectionPool? PoolAt(PeerAddress address, out Exception? refused)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (NotRunning() is { } notRunning)
        {
            refused = notRunning;
            return null;
        }

        PeerConnectionPool pool = _addressPools.GetOrAdd(address, static (address, node) =>
            new PeerConnectionPool(address.ToString(), address.EndPoint, node._connector!, node._options.Pool, node._time, node._metrics, acceptAnyId: true), this);
        return KeptIfRunning(_addressPools, address, pool, out refused);
    }

    private InvalidOperationException? NotRunning() => _state switch
    {
        State.Running => null,
        State.Stopped => Stopped(),
        _ => new InvalidOperationException("The node is not running: call StartAsync first."),
    };

    /// <summary>
    /// <paramref name="pool"/>, just found or added, unless the node began stopping meanwhile: it may
    /// have closed its pools before this one was added, and nobody would close it, nor the connection
    /// it would open.
    /// </summary>
    private PeerConnectionPool? KeptIfRunning<TKey>(ConcurrentDictionary<TKey, PeerConnectionPool> pools, TKey key, PeerConnectionPool pool, out Exception? refused)
        where TKey : notnull
    {
        refused = null;
        if (_state == State.Running)
        {
            return pool;
        }

        if (pools.TryRemove(key, out PeerConnectionPool? late))
        {
            _ = late.DisposeAsync().AsTask();
        }

        refused = Stopped();
        return null;
    }

    private static ObjectDisposedException Stopped() => new(nameof(PeerNode), "The node is stopping or has stopped.");
}
