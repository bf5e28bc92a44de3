namespace PeerEngine;

/// <summary>
/// A peer with the same id is already published by a process that still owns its slot (running,
/// or stopped but not dead). Ids are unique among the peers of a registry.
/// </summary>
public sealed class PeerIdConflictException : PeerRegistryException
{
    /// <summary>Creates the exception with a default message.</summary>
    public PeerIdConflictException()
        : base("A peer with this id is already published.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">One line naming the id and its owner.</param>
    public PeerIdConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">One line naming the id and its owner.</param>
    /// <param name="innerException">The cause.</param>
    public PeerIdConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal PeerIdConflictException(string path, string id, int ownerPid)
        : base($"{path}: peer id '{id}' is already published by process {ownerPid}; choose another id or stop that process.")
    {
        PeerId = id;
    }

    /// <summary>The conflicting id, when known.</summary>
    public string? PeerId { get; }
}
