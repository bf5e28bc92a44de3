namespace PeerEngine.Load.Running;

/// <summary>How the open-model dispatcher waits for a call's intended time.</summary>
internal enum DispatchTiming
{
    /// <summary>
    /// Sleep while a millisecond or more remains, then yield-spin to the due time: calls start within
    /// microseconds of their time, at the cost of a busy core whenever calls are under ~1.5 ms apart.
    /// </summary>
    Spin,

    /// <summary>
    /// Sleep in the OS timer's 1 ms grain and start everything due on each wake (wrk2's accuracy): no
    /// busy core, but up to about a millisecond of start lag, which the response time carries.
    /// </summary>
    Sleep,
}
