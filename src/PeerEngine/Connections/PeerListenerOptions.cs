using PeerEngine.Transport;

namespace PeerEngine;

/// <summary>Limits of a listener.</summary>
public sealed class PeerListenerOptions
{
    /// <summary>
    /// Connections served at once; one more is accepted and closed at once. Default: the process's
    /// file-descriptor limit, less the descriptors open when the options are created, less a reserve
    /// for outgoing connections and files (a tenth of the limit, at least 64), so the process does not
    /// run out of descriptors serving peers.
    /// </summary>
    public int MaxConnections { get; set; } = DescriptorLimit.DefaultMaxConnections();

    /// <summary>
    /// The listen backlog. Default 512: a backlog of 20 drops connection attempts under a burst of
    /// connects (the kernel caps it at net.core.somaxconn).
    /// </summary>
    public int ListenBacklog { get; set; } = 512;

    /// <summary>Throws an <see cref="ArgumentException"/> that names the first option out of range.</summary>
    public void Validate()
    {
        if (MaxConnections <= 0)
        {
            throw new ArgumentException($"Option {nameof(MaxConnections)} must be positive.", nameof(MaxConnections));
        }

        if (ListenBacklog <= 0)
        {
            throw new ArgumentException($"Option {nameof(ListenBacklog)} must be positive.", nameof(ListenBacklog));
        }
    }
}
