namespace PeerEngine.Discovery.Redis.Internal;

/// <summary>
/// The store's only writers: Lua scripts, which Redis runs atomically, so that a compare and its
/// write cannot be split by another node's. Times come from the server's clock (TIME), never from
/// the nodes', so that machines whose clocks differ still agree on who has expired.
/// KEYS are those of <see cref="RedisKeys.All"/>: peers hash, expiry set, version, epoch.
/// A record another process wrote that is not ours to read is judged with pcall: garbage never
/// stops a script.
/// </summary>
internal static class RedisScripts
{
    private const string Now = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        """;

    // INCR fails on a value that is not a number (written by another process): the count restarts.
    private const string Bump = """
        local function bump()
          if type(redis.pcall('INCR', KEYS[3])) ~= 'number' then redis.call('SET', KEYS[3], '1') end
        end
        """;

    /// <summary>
    /// Publishes or refreshes one peer. ARGV: id, record JSON without its closing brace, registration
    /// id, TTL in ms, channel, an epoch for an empty store. The write is refused while another
    /// registration's record for the id has not expired: returns {0, now, its host, its pid}.
    /// Otherwise returns {1, now, joined (1 when the record was not there: a publish, or a
    /// re-publish into a store that lost it)}.
    /// </summary>
    public const string Upsert = Now + "\n" + Bump + "\n" + """
        local old = redis.call('HGET', KEYS[1], ARGV[1])
        local joined = 1
        if old then
          local ok, rec = pcall(cjson.decode, old)
          if ok and type(rec) == 'table' then
            if rec.reg == ARGV[3] then
              joined = 0
            elseif type(rec.exp) == 'number' and rec.exp > now then
              return {0, now, tostring(rec.host), tostring(rec.pid)}
            end
          end
        end
        local exp = now + tonumber(ARGV[4])
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. string.format(',"seen":%.0f,"exp":%.0f}', now, exp))
        redis.call('ZADD', KEYS[2], exp, ARGV[1])
        redis.call('SETNX', KEYS[4], ARGV[6])
        if joined == 1 then
          bump()
          redis.call('PUBLISH', ARGV[5], ARGV[1])
        end
        return {1, now, joined}
        """;

    /// <summary>Unpublishes one peer if the record is still this registration's. ARGV: id, registration id, channel. Returns 1 when removed.</summary>
    public const string Remove = Bump + "\n" + """
        local old = redis.call('HGET', KEYS[1], ARGV[1])
        if not old then return 0 end
        local ok, rec = pcall(cjson.decode, old)
        if not ok or type(rec) ~= 'table' or rec.reg ~= ARGV[2] then return 0 end
        redis.call('HDEL', KEYS[1], ARGV[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        bump()
        redis.call('PUBLISH', ARGV[3], ARGV[1])
        return 1
        """;

    /// <summary>
    /// Removes the expired peers (announcing it when there were any), then reads. ARGV: the version
    /// the caller knows, channel. Returns {now, version, epoch} when the version is the one known,
    /// else {now, version, epoch, HGETALL of the peers hash}.
    /// </summary>
    public const string Sync = Now + "\n" + Bump + "\n" + """
        local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
        for _, id in ipairs(expired) do
          redis.call('HDEL', KEYS[1], id)
          redis.call('ZREM', KEYS[2], id)
        end
        if #expired > 0 then
          bump()
          redis.call('PUBLISH', ARGV[2], '#' .. #expired)
        end
        local version = redis.call('GET', KEYS[3]) or '0'
        local epoch = redis.call('GET', KEYS[4]) or ''
        if version == ARGV[1] then return {now, version, epoch} end
        return {now, version, epoch, redis.call('HGETALL', KEYS[1])}
        """;
}
