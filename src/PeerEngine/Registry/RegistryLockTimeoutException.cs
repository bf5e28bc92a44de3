namespace PeerEngine;

/// <summary>
/// The registry's writer lock could not be taken within <see cref="PeerRegistryOptions.LockTimeout"/>:
/// another process holds it and is alive (the kernel frees it within milliseconds of a holder's death).
/// </summary>
public sealed class RegistryLockTimeoutException : PeerRegistryException
{
    /// <summary>Creates the exception with a default message.</summary>
    public RegistryLockTimeoutException()
        : base("Timed out waiting for the peer registry's writer lock.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">One line naming the file and the last writer.</param>
    public RegistryLockTimeoutException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">One line naming the file and the last writer.</param>
    /// <param name="innerException">The cause.</param>
    public RegistryLockTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal RegistryLockTimeoutException(string path, TimeSpan timeout, int lastWriterPid)
        : base($"{path}: timed out after {timeout.TotalMilliseconds:0} ms waiting for the registry's writer lock " +
               $"(last writer: pid {lastWriterPid}); raise {nameof(PeerRegistryOptions)}.{nameof(PeerRegistryOptions.LockTimeout)} or stop that process.")
    {
        LastWriterProcessId = lastWriterPid;
    }

    /// <summary>The process id recorded by the last process that took the lock (0 when unknown).</summary>
    public int LastWriterProcessId { get; }
}
