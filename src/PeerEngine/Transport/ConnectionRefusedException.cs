namespace PeerEngine.Transport;

/// <summary>
/// A connection middleware refused the peer (a failed TLS handshake, an id its certificate does not
/// name, a limit) and has already logged why: an expected outcome, not a fault of the listener.
/// </summary>
internal sealed class ConnectionRefusedException : IOException
{
    public ConnectionRefusedException()
    {
    }

    public ConnectionRefusedException(string message)
        : base(message)
    {
    }

    public ConnectionRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
