namespace PeerEngine;

/// <summary>
/// The registry file is not a registry this build can read: foreign, corrupt, truncated or of an
/// unknown format version. The file is left exactly as it was found.
/// </summary>
public sealed class RegistryFormatException : PeerRegistryException
{
    /// <summary>Creates the exception with a default message.</summary>
    public RegistryFormatException()
        : base("The file is not a peer registry this build can read.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">One line naming the file and the problem.</param>
    public RegistryFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">One line naming the file and the problem.</param>
    /// <param name="innerException">The cause.</param>
    public RegistryFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal RegistryFormatException(string path, string problem)
        : base($"{path}: {problem}; the file was left untouched.")
    {
        FilePath = path;
    }

    /// <summary>The registry file, when known.</summary>
    public string? FilePath { get; }
}
