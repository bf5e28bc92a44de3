
namespace PeerEngine;

/// <summary>
/// The peer could not be reached: the connect failed, or it failed recently and the pool is waiting
/// before the next attempt (the request fails at once instead of piling onto a dead peer).
/// </summary>
public sealed class PeerUnavailableException : PeerException
{
    /// <summary>Creates the exception for <paramref name="peerId"/>.</summary>
    public PeerUnavailableException(string peerId, string reason, Exception? innerException = null)
        : base($"Peer '{peerId}' is unreachable: {reason}", innerException)
    {
        PeerId = peerId;
    }

    /// <summary>The peer that could not be reached.</summary>
    public string PeerId { get; }
}
