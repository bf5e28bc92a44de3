namespace PeerEngine.Transport;

/// <summary>The transport lost the connection abruptly (a reset, a broken pipe, an abort).</summary>
internal sealed class ConnectionResetException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ConnectionResetException()
        : base("The connection was reset.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ConnectionResetException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ConnectionResetException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
