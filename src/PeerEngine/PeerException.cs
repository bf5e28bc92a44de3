namespace PeerEngine;

/// <summary>The base of the errors a peer conversation reports: catch it to handle them all.</summary>
public abstract class PeerException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected PeerException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    protected PeerException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
