namespace PeerEngine.Registry.Internal;

/// <summary>What one lock-free pass over the slots saw besides the live peers.</summary>
internal struct ScanSummary
{
    /// <summary>Live peers (also counted when they did not fit the destination).</summary>
    public int Live;

    /// <summary>Owned slots whose heartbeat is older than their TTL: dead, hung or stopped.</summary>
    public int Expired;

    /// <summary>Slots with a fresh-looking heartbeat whose owner a liveness-lock probe found dead.</summary>
    public int Dead;

    /// <summary>Slots skipped because a writer was rewriting them (or died doing so) for the whole retry budget.</summary>
    public int InFlux;

    /// <summary>Slots whose bytes failed the checksum or the field checks.</summary>
    public int Corrupt;

    /// <summary>The membership generation read before the pass.</summary>
    public long Generation;

    /// <summary>
    /// The earliest time (unix ms) the result may change with no write to the file: a live peer's
    /// heartbeat counts as missed (its owner gets probed) or its TTL ends. <see cref="long.MaxValue"/> when none.
    /// </summary>
    public long NextCheckMs;
}
