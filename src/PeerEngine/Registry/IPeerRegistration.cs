namespace PeerEngine;

/// <summary>
/// A published peer. Disposing it unpublishes the peer at once; until then its heartbeat is
/// refreshed in the background every heartbeat interval.
/// </summary>
public interface IPeerRegistration : IDisposable, IAsyncDisposable
{
    /// <summary>The peer as published.</summary>
    PeerRecord Peer { get; }

    /// <summary>Refreshes the heartbeat now (the background timer does it anyway); does nothing once disposed.</summary>
    void Heartbeat();
}
