namespace PeerEngine.Correlation;

/// <summary>
/// Told when a request leaves a <see cref="PendingRequestTable"/>: the connection implements it to
/// notice it has drained. An interface rather than a delegate: every connection would otherwise carry
/// a 64-byte delegate object for its whole life (issue 3's idle-memory budget).
/// </summary>
internal interface IPendingRequestObserver
{
    /// <summary>Called after every removal, outside the table's lock.</summary>
    void OnRemoved();
}
