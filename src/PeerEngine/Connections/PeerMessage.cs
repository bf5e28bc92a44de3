namespace PeerEngine;

/// <summary>
/// A one-way message being handled. The object and its memory are pooled and reused: use them only
/// until the handler's task completes, and copy what must outlive it.
/// </summary>
public sealed class PeerMessage
{
    internal PeerMessage()
    {
    }

    /// <summary>The id of the peer that sent the message.</summary>
    public string PeerId { get; internal set; } = string.Empty;

    /// <summary>The message's payload.</summary>
    public ReadOnlyMemory<byte> Payload { get; internal set; }
}
