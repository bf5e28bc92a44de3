namespace PeerEngine.Correlation;

/// <summary>
/// Told when a request leaves a <see cref="PendingRequestTable"/>: the connection implements it to
/// notice it has drained, and to count requests its peer left unanswered. An interface rather than a
/// delegate: every connection would otherwise carry a 64-byte delegate object for its whole life.
/// </summary>
internal interface IPendingRequestObserver
{
    /// <summary>Called after every removal, outside the table's lock.</summary>
    void OnRemoved();

    /// <summary>Called when a request has timed out (after <see cref="OnRemoved"/>).</summary>
    void OnTimedOut();
}
