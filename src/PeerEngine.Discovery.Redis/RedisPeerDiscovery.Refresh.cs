using System.Diagnostics;
using PeerEngine.Discovery.Redis.Internal;
using StackExchange.Redis;

namespace PeerEngine;

/// <summary>The discovery's view of Redis: the connection, the subscription to changes, and the refresh loop that re-reads the cluster.</summary>
public sealed partial class RedisPeerDiscovery
{
    /// <summary>Between subscribe attempts while the subscription connection comes up (it takes milliseconds).</summary>
    private static readonly TimeSpan SubscribeRetryDelay = TimeSpan.FromMilliseconds(20);

    private void StartRefreshing()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            using (ExecutionContext.SuppressFlow())
            {
                _refreshing = Task.Run(() => RefreshLoopAsync(_disposing.Token));
            }
        }
    }

    /// <summary>Reads the set every refresh interval, or at once when a change is announced or the connection comes back.</summary>
    private async Task RefreshLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await SyncAsync(full: false).ConfigureAwait(false);
                if (_outageReported)
                {
                    _outageReported = false;
                    RedisDiscoveryLog.Reachable(_logger, Server);
                }
            }
            catch (Exception e) when (IsRedisFailure(e))
            {
                if (!_outageReported)
                {
                    _outageReported = true;
                    RedisDiscoveryLog.Unreachable(_logger, Server, Reason(e), _view.Current.Length);
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // Whatever else went wrong, the loop is the only thing that keeps the view current: it goes on.
                RedisDiscoveryLog.RefreshFailed(_logger, Server, e);
            }

            try
            {
                await _wake.WaitAsync(_options.RefreshInterval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task SyncAsync(bool full)
    {
        IDatabase database = await DatabaseAsync().ConfigureAwait(false);
        await EnsureSubscribedAsync(database.Multiplexer).ConfigureAwait(false);
        string known = full ? "" : _view.KnownVersion ?? "";
        RedisResult[] reply = (RedisResult[])(await database.ScriptEvaluateAsync(RedisScripts.Sync, _keys.All, [known, _keys.Changes.ToString()]).ConfigureAwait(false))!;
        long now = (long)reply[0];
        string version = (string?)reply[1] ?? "0";
        string epoch = (string?)reply[2] ?? "";
        List<(string, string)>? records = null;
        if (reply.Length > 3)
        {
            RedisResult[] flat = (RedisResult[])reply[3]!;
            records = new List<(string, string)>(flat.Length / 2);
            for (int i = 0; i + 1 < flat.Length; i += 2)
            {
                records.Add(((string?)flat[i] ?? "", (string?)flat[i + 1] ?? ""));
            }
        }

        _view.Apply(now, version, epoch, records, _ttlMs, ttl => RedisDiscoveryLog.StoreReset(_logger, Cluster, Server, ttl));
    }

    private async Task EnsureSubscribedAsync(IConnectionMultiplexer multiplexer)
    {
        if (Volatile.Read(ref _subscribed))
        {
            return;
        }

        // Once subscribed, the client subscribes again by itself after every reconnection. Its
        // subscription connection comes up a moment after the command connection, and a subscribe
        // in that moment fails at once with no connection: retried within the connect timeout while
        // the client says it is connected.
        long started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                await multiplexer.GetSubscriber().SubscribeAsync(_keys.Changes, (_, _) => Wake()).ConfigureAwait(false);
                break;
            }
            catch (RedisConnectionException) when (multiplexer.IsConnected && Stopwatch.GetElapsedTime(started) < _options.ConnectTimeout)
            {
                await Task.Delay(SubscribeRetryDelay).ConfigureAwait(false);
            }
        }

        Volatile.Write(ref _subscribed, true);
    }

    private void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A read is already due.
        }
        catch (ObjectDisposedException)
        {
            // Disposed.
        }
    }

    private async Task<IDatabase> DatabaseAsync()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0 && _disposing.IsCancellationRequested, this);
        ConnectionMultiplexer multiplexer = await _connection.Value.ConfigureAwait(false);
        return multiplexer.GetDatabase();
    }

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        ConnectionMultiplexer multiplexer = await ConnectionMultiplexer.ConnectAsync(_configuration).ConfigureAwait(false);
        multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                // Whatever was announced while away is lost: read in full, and publish again at once.
                _view.Invalidate();
                Wake();
                RedisRegistration[] open;
                lock (_registrations)
                {
                    open = [.. _registrations];
                }

                foreach (RedisRegistration registration in open)
                {
                    registration.Heartbeat();
                }
            }
        };
        return multiplexer;
    }
}
