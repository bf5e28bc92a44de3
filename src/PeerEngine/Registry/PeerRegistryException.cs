namespace PeerEngine;

/// <summary>The base of every error the peer registry reports on purpose.</summary>
public class PeerRegistryException : PeerException
{
    /// <summary>Creates the exception with a default message.</summary>
    public PeerRegistryException()
        : base("The peer registry failed.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">One line naming the registry file and the problem.</param>
    public PeerRegistryException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">One line naming the registry file and the problem.</param>
    /// <param name="innerException">The cause.</param>
    public PeerRegistryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
