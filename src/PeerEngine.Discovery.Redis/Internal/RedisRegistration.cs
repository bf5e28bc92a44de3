using Microsoft.Extensions.Logging;

namespace PeerEngine.Discovery.Redis.Internal;

/// <summary>
/// A peer published to Redis: refreshes its record every heartbeat interval (which also publishes it
/// again into a store that lost it) and removes it when disposed.
/// </summary>
internal sealed class RedisRegistration : IPeerRegistration
{
    private readonly RedisPeerDiscovery _discovery;
    private readonly string _recordOpen;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private bool _released;

    // One heartbeat in flight at a time: against an unreachable Redis each can take the command timeout.
    private int _beating;

    public RedisRegistration(RedisPeerDiscovery discovery, PeerRecord peer, string recordOpen, string registrationId, ILogger logger)
    {
        _discovery = discovery;
        Peer = peer;
        _recordOpen = recordOpen;
        RegistrationId = registrationId;
        _logger = logger;
    }

    public PeerRecord Peer { get; }

    public string RegistrationId { get; }

    public string RecordOpen => _recordOpen;

    public void StartHeartbeats(TimeProvider time, TimeSpan interval)
    {
        lock (_gate)
        {
            if (!_released)
            {
                using (ExecutionContext.SuppressFlow()) // beats for the registration's life, not the publisher's context
                {
                    _timer = time.CreateTimer(static state => ((RedisRegistration)state!).Heartbeat(), this, interval, interval);
                }
            }
        }
    }

    public void Heartbeat() => _ = HeartbeatAsync();

    private async Task HeartbeatAsync()
    {
        if (Volatile.Read(ref _released) || Interlocked.Exchange(ref _beating, 1) == 1)
        {
            return;
        }

        try
        {
            UpsertResult result = await _discovery.UpsertAsync(this).ConfigureAwait(false);
            if (Volatile.Read(ref _released))
            {
                // A heartbeat that raced the unpublish may have written the record again: remove it once more.
                await _discovery.RemoveAsync(this).ConfigureAwait(false);
                return;
            }

            if (result.Conflict is { } owner)
            {
                RedisDiscoveryLog.HeartbeatConflict(_logger, Peer.Id, owner);
            }
            else if (result.Joined)
            {
                // The publish itself was the first write: a beat that finds no record finds a store that lost it.
                RedisDiscoveryLog.Republished(_logger, Peer.Id, _discovery.Server);
            }
        }
        catch (Exception e) when (RedisPeerDiscovery.IsRedisFailure(e))
        {
            // The discovery's refresh loop reports the outage once; a beat that fails is retried at the next.
        }
        finally
        {
            Volatile.Write(ref _beating, 0);
        }
    }

    /// <summary>Stops the heartbeats and leaves the record in Redis, as a process that was killed does (for measuring detection).</summary>
    internal void Abandon()
    {
        lock (_gate)
        {
            _released = true;
            _timer?.Dispose();
        }

        _discovery.Forget(this);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_released)
            {
                return;
            }

            _released = true;
            _timer?.Dispose();
        }

        try
        {
            await _discovery.RemoveAsync(this).ConfigureAwait(false);
        }
        catch (Exception e) when (RedisPeerDiscovery.IsRedisFailure(e))
        {
            RedisDiscoveryLog.UnpublishFailed(_logger, Peer.Id, _discovery.Server, e);
        }
        finally
        {
            _discovery.Forget(this);
        }
    }
}

/// <summary>What an upsert did: <see cref="Conflict"/> names the other live owner of the id when refused.</summary>
internal readonly record struct UpsertResult(bool Joined, string? Conflict);
