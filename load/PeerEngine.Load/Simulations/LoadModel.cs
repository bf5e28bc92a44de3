namespace PeerEngine.Load.Simulations;

/// <summary>Who controls the load: the arrival rate (open) or the number of concurrent copies (closed).</summary>
internal enum LoadModel
{
    /// <summary>Calls arrive on a schedule whatever the target does; latency is measured from the scheduled time.</summary>
    Open,

    /// <summary>Copies loop call after call; a slow target slows the load, so latency is subject to coordinated omission.</summary>
    Closed,
}
