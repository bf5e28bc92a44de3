namespace PeerEngine;

/// <summary>
/// The connection ended before the operation could complete: every request in flight on a
/// connection that dies fails with this at once, and so does a new request on a closed connection.
/// </summary>
public sealed class ConnectionLostException : PeerException
{
    /// <summary>Creates the exception for a connection that ended for <paramref name="reason"/>.</summary>
    public ConnectionLostException(ShutdownReason reason, Exception? innerException = null)
        : base($"The connection to the peer was lost: {ShutdownReasons.Describe(reason)}.", innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the connection ended.</summary>
    public ShutdownReason Reason { get; }
}
