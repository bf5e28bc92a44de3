namespace PeerEngine;

/// <summary>The Redis server of a <see cref="RedisPeerDiscovery"/> could not be reached in time.</summary>
public sealed class RedisDiscoveryUnavailableException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public RedisDiscoveryUnavailableException()
        : base("The Redis server cannot be reached.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">One line naming the server.</param>
    public RedisDiscoveryUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">One line naming the server.</param>
    /// <param name="innerException">The cause.</param>
    public RedisDiscoveryUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
