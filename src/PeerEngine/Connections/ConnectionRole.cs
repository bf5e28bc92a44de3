namespace PeerEngine.Connections;

/// <summary>Which side of a connection this is; the protocol is symmetric except for the handshake.</summary>
internal enum ConnectionRole
{
    /// <summary>This side opened the connection and sends HELLO first.</summary>
    Connecting,

    /// <summary>This side accepted the connection and answers the peer's HELLO.</summary>
    Accepting,
}
