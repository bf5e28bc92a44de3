using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Threading.Channels;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using PeerEngine.Discovery.Redis.Internal;
using PeerEngine.Framing;

using StackExchange.Redis;

namespace PeerEngine;

/// <summary>
/// Discovery through a Redis server shared by the peers of many machines. Each cluster is one hash
/// (a field per node id, the value its record with its heartbeat and expiry times) written only by
/// Lua scripts that compare before they set. Nodes refresh their entry every heartbeat; an entry not
/// refreshed within its TTL is removed by the next reader. Changes are announced on a channel, and
/// the set is read again in full every refresh interval, since a client that was disconnected misses
/// announcements. When Redis cannot be reached the last known set is kept (the connections' own
/// keep-alives decide who is dead), Redis is retried with back-off, and published peers are written
/// again as soon as it answers, so a restart that lost the data relists everyone within a heartbeat.
/// </summary>
/// <example><code>
/// await using var discovery = new RedisPeerDiscovery(RedisDiscoveryOptions.FromUri("redis://redis.internal:6379/orders"));
/// await using var node = new PeerNode(new PeerNodeOptions { Host = "0.0.0.0", AdvertiseHost = "10.0.0.5" }, discovery);
/// </code></example>
public sealed partial class RedisPeerDiscovery : IPeerDiscovery, IAsyncDisposable, IDisposable
{
    private readonly RedisDiscoveryOptions _options;
    private readonly ConfigurationOptions _configuration;
    private readonly RedisKeys _keys;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly PeerSetView _view;
    private readonly CancellationTokenSource _disposing = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly List<RedisRegistration> _registrations = [];
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection;
    private readonly bool _serverIsLoopback;
    private readonly long _ttlMs;
    private readonly int _processId = Environment.ProcessId;
    private readonly DateTimeOffset _processStart;
    private Task _refreshing = Task.CompletedTask;
    private int _started;
    private int _disposed;
    private bool _subscribed;
    private bool _outageReported;

    /// <summary>Creates the discovery; it connects on first use and keeps reconnecting by itself.</summary>
    /// <param name="options">Where Redis is and the timings; validated here.</param>
    /// <param name="loggerFactory">Where it logs; default: nowhere.</param>
    /// <param name="timeProvider">The clock of the heartbeat and refresh timers; default: the system's.</param>
    public RedisPeerDiscovery(RedisDiscoveryOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _configuration = ConfigurationOptions.Parse(options.Configuration);
        if (_configuration.EndPoints.Count == 0)
        {
            throw new ArgumentException($"Option {nameof(RedisDiscoveryOptions.Configuration)} names no Redis server.", nameof(options));
        }

        // Keep trying in the background rather than fail: Redis may start after the node, or be away.
        _configuration.AbortOnConnectFail = false;
        _configuration.ConnectTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        _configuration.AsyncTimeout = (int)options.ConnectTimeout.TotalMilliseconds;
        _configuration.SyncTimeout = (int)options.ConnectTimeout.TotalMilliseconds;

        // Commands fail at once while disconnected, rather than queue: a heartbeat queued during an
        // outage is stale when it lands, and a refresh must not wait on one.
        _configuration.BacklogPolicy = BacklogPolicy.FailFast;
        _configuration.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);
        _configuration.ClientName ??= "peerengine";

        Server = string.Join(",", _configuration.EndPoints.Select(FormatEndPoint));
        _serverIsLoopback = _configuration.EndPoints.All(IsLoopback);
        _keys = new RedisKeys(options.KeyPrefix, options.Cluster);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("PeerEngine.Discovery.Redis");
        _time = timeProvider ?? TimeProvider.System;
        _ttlMs = (long)options.Ttl.TotalMilliseconds;
        _view = new PeerSetView(_logger, _keys.Peers.ToString());
        _connection = new Lazy<Task<ConnectionMultiplexer>>(ConnectAsync);
        using Process self = Process.GetCurrentProcess();
        _processStart = new DateTimeOffset(self.StartTime.ToUniversalTime(), TimeSpan.Zero);
    }

    /// <summary>The Redis server as <c>HOST:PORT</c> (several, comma-separated), for messages.</summary>
    public string Server { get; }

    /// <summary>The cluster this discovery sees and publishes to.</summary>
    public string Cluster => _options.Cluster;

    /// <inheritdoc/>
    /// <remarks>
    /// Waits (retrying with back-off) until Redis answers, so a node that starts while Redis is away
    /// is published as soon as it returns. Refuses a wildcard host, and a loopback one or a Unix-only
    /// peer unless Redis itself is on loopback: other machines could not dial them.
    /// </remarks>
    /// <exception cref="ArgumentException">The peer cannot be dialled through a shared store; the message says why.</exception>
    /// <exception cref="PeerIdConflictException">Another live peer of the cluster has the id.</exception>
    public async ValueTask<IPeerRegistration> PublishAsync(PeerAnnouncement peer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        PeerAnnouncement announced = Check(peer);
        string registrationId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        var record = new PeerRecord(announced.Id, announced.Host, announced.Port, announced.Transport, announced.UnixPath, _processId, _processStart, default);
        var registration = new RedisRegistration(this, record, RedisPeerCodec.EncodeOpen(announced, _processId, _processStart, registrationId), registrationId, _logger);
        StartRefreshing();
        TimeSpan delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                UpsertResult result = await UpsertAsync(registration).WaitAsync(cancellationToken).ConfigureAwait(false);
                if (result.Conflict is { } owner)
                {
                    throw new PeerIdConflictException($"peer id '{announced.Id}' is already published in cluster '{Cluster}' on Redis at {Server} ({owner}); choose another id or stop that peer");
                }

                break;
            }
            catch (Exception e) when (IsOutage(e) && !cancellationToken.IsCancellationRequested)
            {
                RedisDiscoveryLog.PublishRetry(_logger, announced.Id, Server, Reason(e), (long)delay.TotalMilliseconds);
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }

        lock (_registrations)
        {
            _registrations.Add(registration);
        }

        registration.StartHeartbeats(_time, _options.HeartbeatInterval);

        // The publisher's watch starts from a set that is read after its own join, when Redis allows.
        try
        {
            await SyncAsync(full: true).WaitAsync(_options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            // The refresh loop reads again.
        }

        return registration;
    }

    /// <inheritdoc/>
    /// <remarks>The set last read from Redis; allocates nothing.</remarks>
    public int Discover(Span<PeerRecord> destination)
    {
        StartRefreshing();
        PeerRecord[] current = _view.Current;
        current.AsSpan(0, Math.Min(current.Length, destination.Length)).CopyTo(destination);
        return current.Length;
    }

    /// <inheritdoc/>
    /// <remarks>The set last read from Redis (see <see cref="RefreshAsync"/> for a fresh one).</remarks>
    public IReadOnlyList<PeerRecord> Discover()
    {
        StartRefreshing();
        return _view.Current;
    }

    /// <summary>Reads the peer set from Redis now and returns it.</summary>
    /// <param name="cancellationToken">Gives up waiting.</param>
    /// <exception cref="RedisDiscoveryUnavailableException">Redis could not be reached within <see cref="RedisDiscoveryOptions.ConnectTimeout"/>; the message names it.</exception>
    public async Task<IReadOnlyList<PeerRecord>> RefreshAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            await SyncAsync(full: true).WaitAsync(_options.ConnectTimeout, cancellationToken).ConfigureAwait(false);
            return _view.Current;
        }
        catch (Exception e) when (IsRedisFailure(e))
        {
            throw new RedisDiscoveryUnavailableException($"Redis at {Server} cannot be reached: {Reason(e)}", e);
        }
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<PeerSetChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        StartRefreshing();
        (Channel<PeerSetChange> channel, PeerRecord[] start) = _view.Watch();
        try
        {
            yield return new PeerSetChange(start, start, []);
            while (await WaitToReadAsync(channel.Reader, cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out PeerSetChange? change))
                {
                    yield return change;
                }
            }
        }
        finally
        {
            _view.Unwatch(channel);
        }
    }

    // Cancellation ends the enumeration without an exception, as the registry file's watch does.
    private static async Task<bool> WaitToReadAsync(ChannelReader<PeerSetChange> reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Stops refreshing and disconnects. Registrations still open are removed first.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        RedisRegistration[] open;
        lock (_registrations)
        {
            open = [.. _registrations];
        }

        foreach (RedisRegistration registration in open)
        {
            await registration.DisposeAsync().ConfigureAwait(false);
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        await _refreshing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _view.CompleteAll();
        if (_connection.IsValueCreated && _connection.Value.IsCompletedSuccessfully)
        {
            await _connection.Value.Result.DisposeAsync().ConfigureAwait(false);
        }

        _disposing.Dispose();
    }

    /// <inheritdoc cref="DisposeAsync"/>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// A failure that waiting cures: no connection, a timeout, or a server that is loading, read-only
    /// (a replica during a failover) or busy. Any other server error (a script that fails, a key of
    /// the wrong type written by something else) is not an outage and is not retried as one.
    /// </summary>
    internal static bool IsOutage(Exception e) => e switch
    {
        RedisConnectionException or RedisTimeoutException or TimeoutException or ObjectDisposedException => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
                                       || server.Message.StartsWith("READONLY", StringComparison.Ordinal)
                                       || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
                                       || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
                                       || server.Message.StartsWith("BUSY", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>Anything Redis said or failed to say: the refresh loop and heartbeats log it and go on.</summary>
    internal static bool IsRedisFailure(Exception e) => IsOutage(e) || e is RedisException;

    internal async Task<UpsertResult> UpsertAsync(RedisRegistration registration)
    {
        IDatabase database = await DatabaseAsync().ConfigureAwait(false);
        RedisResult[] reply = (RedisResult[])(await database.ScriptEvaluateAsync(
            RedisScripts.Upsert,
            _keys.All,
            [registration.Peer.Id, registration.RecordOpen, registration.RegistrationId, _ttlMs, _keys.Changes.ToString(), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))]).ConfigureAwait(false))!;
        if ((int)reply[0] == 0)
        {
            return new UpsertResult(false, $"host {(string?)reply[2]}, process {(string?)reply[3]}");
        }

        return new UpsertResult((int)reply[2] == 1, null);
    }

    internal async Task RemoveAsync(RedisRegistration registration)
    {
        IDatabase database = await DatabaseAsync().ConfigureAwait(false);
        await database.ScriptEvaluateAsync(RedisScripts.Remove, _keys.All, [registration.Peer.Id, registration.RegistrationId, _keys.Changes.ToString()]).ConfigureAwait(false);
        if (Volatile.Read(ref _disposed) == 0)
        {
            // The leaver's own view drops it at once too.
            Wake();
        }
    }

    internal void Forget(RedisRegistration registration)
    {
        lock (_registrations)
        {
            _registrations.Remove(registration);
        }
    }

}
