namespace PeerEngine;

/// <summary>
/// Every slot of the registry holds a live (or stopped but still owned) peer. The capacity is
/// fixed when the file is created (<see cref="PeerRegistryOptions.Capacity"/>); the registry does
/// not grow, so that readers never have to remap.
/// </summary>
public sealed class RegistryFullException : PeerRegistryException
{
    /// <summary>Creates the exception with a default message.</summary>
    public RegistryFullException()
        : base("The peer registry is full.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">One line naming the file and its capacity.</param>
    public RegistryFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">One line naming the file and its capacity.</param>
    /// <param name="innerException">The cause.</param>
    public RegistryFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal RegistryFullException(string path, int capacity)
        : base($"{path}: the peer registry is full ({capacity} slots, all owned by running processes); " +
               $"create the registry with a larger {nameof(PeerRegistryOptions)}.{nameof(PeerRegistryOptions.Capacity)} or at another path.")
    {
        Capacity = capacity;
    }

    /// <summary>The registry's capacity, when known.</summary>
    public int Capacity { get; }
}
