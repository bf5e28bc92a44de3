namespace PeerEngine.ConnectionPool.Internal;

/// <summary>Exponential back-off with jitter, so that many nodes retrying one peer do not retry in step.</summary>
internal static class Backoff
{
    public static TimeSpan For(int failures, ConnectionPoolOptions options)
    {
        double exponent = Math.Min(failures - 1, 30);
        double ticks = Math.Min(options.ReconnectBackoff.Ticks * Math.Pow(2, exponent), options.MaxReconnectBackoff.Ticks);
        double jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromTicks((long)(ticks * jitter));
    }
}
