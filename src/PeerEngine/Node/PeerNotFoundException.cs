using PeerEngine.Connections;

namespace PeerEngine.Node;

/// <summary>No live peer with that id is known to the node's discovery.</summary>
public sealed class PeerNotFoundException : PeerException
{
    /// <summary>Creates the exception for <paramref name="peerId"/>.</summary>
    public PeerNotFoundException(string peerId)
        : this(peerId, $"No live peer '{peerId}' in the registry.")
    {
    }

    internal PeerNotFoundException(string peerId, string message)
        : base(message)
    {
        PeerId = peerId;
    }

    /// <summary>The id that was looked for.</summary>
    public string PeerId { get; }
}
