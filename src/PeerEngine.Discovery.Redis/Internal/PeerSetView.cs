using System.Threading.Channels;

using Microsoft.Extensions.Logging;

namespace PeerEngine.Discovery.Redis.Internal;

/// <summary>
/// The peer set as last read from the store, and the watchers told of its changes. Only a successful
/// read changes it: while the store cannot be reached, the last known set stands (no false deaths).
/// </summary>
internal sealed class PeerSetView
{
    private readonly Lock _gate = new();
    private readonly List<Channel<PeerSetChange>> _watchers = [];
    private readonly ILogger _logger;
    private readonly string _key;

    // Records already reported as bad, so that one garbage value is logged once, not on every read.
    private readonly HashSet<(string Field, string Value)> _reportedBad = [];
    private volatile PeerRecord[] _current = [];
    private string? _epoch;
    private long _graceUntilMs;

    public PeerSetView(ILogger logger, string key)
    {
        _logger = logger;
        _key = key;
    }

    public PeerRecord[] Current => _current;

    /// <summary>The membership version of the last full read; null forces the next read to be full.</summary>
    public string? KnownVersion { get; private set; }

    /// <summary>Whether a read has ever succeeded.</summary>
    public bool Loaded { get; private set; }

    /// <summary>
    /// Takes one read. <paramref name="records"/> is null when the store said the version is the one
    /// known (nothing to read). A changed epoch means the store lost its data: the peers known before
    /// are kept for <paramref name="ttlMs"/> (server time) while the live ones publish themselves
    /// again, since an empty store says nothing about who is alive.
    /// </summary>
    public void Apply(long nowMs, string version, string epoch, IReadOnlyList<(string Field, string Value)>? records, long ttlMs, Action<long> onReset)
    {
        lock (_gate)
        {
            Loaded = true;
            // An empty epoch is a store nobody has written to since it lost its data; the first epoch
            // written after that is the same reset, not a second one.
            if (_epoch is { Length: > 0 } && epoch != _epoch)
            {
                _graceUntilMs = nowMs + ttlMs;
                onReset(ttlMs);
            }

            _epoch = epoch;

            bool inGrace = nowMs < _graceUntilMs;

            // While in grace every read is a full one, so that the first read after it judges the peers kept.
            KnownVersion = inGrace ? null : version;
            if (records is null)
            {
                return;
            }

            var next = new Dictionary<string, PeerRecord>(records.Count, StringComparer.Ordinal);
            foreach ((string field, string value) in records)
            {
                if (!RedisPeerCodec.TryDecode(field, value, out PeerRecord peer, out long expiresMs, out string? problem))
                {
                    if (_reportedBad.Count < 10_000 && _reportedBad.Add((field, value)))
                    {
                        RedisDiscoveryLog.BadRecord(_logger, field, _key, problem);
                    }

                    continue;
                }

                if (expiresMs > nowMs)
                {
                    next[peer.Id] = peer;
                }
            }

            PeerRecord[] previous = _current;
            if (inGrace)
            {
                foreach (PeerRecord kept in previous)
                {
                    next.TryAdd(kept.Id, kept);
                }
            }

            PeerRecord[] peers = [.. next.Values.OrderBy(p => p.Id, StringComparer.Ordinal)];
            PeerRecord[] added = Except(peers, previous);
            PeerRecord[] removed = Except(previous, peers);
            _current = peers;
            if (added.Length > 0 || removed.Length > 0)
            {
                var change = new PeerSetChange(peers, added, removed);
                foreach (Channel<PeerSetChange> watcher in _watchers)
                {
                    watcher.Writer.TryWrite(change);
                }
            }
        }
    }

    /// <summary>Forces the next read to be a full one (a notification, a reconnection).</summary>
    public void Invalidate()
    {
        lock (_gate)
        {
            KnownVersion = null;
        }
    }

    /// <summary>Registers a watcher and returns it with the set it starts from, atomically, so that no change falls between.</summary>
    public (Channel<PeerSetChange> Channel, PeerRecord[] Start) Watch()
    {
        var channel = Channel.CreateUnbounded<PeerSetChange>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            _watchers.Add(channel);
            return (channel, _current);
        }
    }

    public void Unwatch(Channel<PeerSetChange> channel)
    {
        lock (_gate)
        {
            _watchers.Remove(channel);
        }

        channel.Writer.TryComplete();
    }

    public void CompleteAll()
    {
        lock (_gate)
        {
            foreach (Channel<PeerSetChange> watcher in _watchers)
            {
                watcher.Writer.TryComplete();
            }

            _watchers.Clear();
        }
    }

    /// <summary>The peers of <paramref name="left"/> with no counterpart in <paramref name="right"/>, ignoring heartbeat times.</summary>
    private static PeerRecord[] Except(PeerRecord[] left, PeerRecord[] right)
    {
        var keys = new HashSet<PeerRecord>(right.Length);
        foreach (PeerRecord peer in right)
        {
            keys.Add(peer with { LastSeen = default });
        }

        return [.. left.Where(peer => !keys.Contains(peer with { LastSeen = default }))];
    }
}
