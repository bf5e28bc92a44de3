namespace PeerEngine.Load.Targets;

/// <summary>
/// How a link dials its target again after the connection is lost: after the first failed attempt it
/// waits <see cref="Backoff"/>, doubling with each further failure up to <see cref="MaxBackoff"/>
/// (the engine's pool adds ±20 % jitter). Meanwhile calls fail at once, counted as errors, so an
/// outage shows as intervals of errors and the first interval after the target is back as recovery.
/// </summary>
internal sealed record Reconnect(TimeSpan Backoff, TimeSpan MaxBackoff)
{
    /// <summary>
    /// 50 ms doubling to 2 s: a restarted target is found again within about 2 s of its return, and a
    /// target that stays away costs one refused dial per link every 2 s, not one per call.
    /// </summary>
    public static Reconnect Default { get; } = new(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(2));

    /// <summary>Checks the bounds; the message names the option to change.</summary>
    public static Reconnect Create(TimeSpan backoff, TimeSpan maxBackoff) =>
        backoff <= TimeSpan.Zero ? throw new FormatException("--reconnect-backoff must be longer than 0.")
        : maxBackoff < backoff ? throw new FormatException($"--max-reconnect-backoff ({maxBackoff.TotalMilliseconds:0} ms) must be at least --reconnect-backoff ({backoff.TotalMilliseconds:0} ms).")
        : new Reconnect(backoff, maxBackoff);
}
