namespace PeerEngine;

/// <summary>The error codes of an ERROR frame (wire protocol v1, table of error codes).</summary>
public enum ErrorCode : ushort
{
    /// <summary>The peer broke a rule of the protocol; the connection is closed.</summary>
    ProtocolViolation = 1,

    /// <summary>A frame's payload exceeded the receiver's maximum; the connection is closed.</summary>
    FrameTooLarge = 2,

    /// <summary>The HELLO named a protocol version other than 1; the connection is closed.</summary>
    UnsupportedVersion = 3,

    /// <summary>The receiver has no request handler; the connection stays open.</summary>
    NoHandler = 4,

    /// <summary>The request handler failed; the connection stays open.</summary>
    HandlerFailed = 5,

    /// <summary>The receiver is over its limit for work in flight; the connection stays open.</summary>
    Overloaded = 6,

    /// <summary>The receiver is shutting down; the connection stays open until drained.</summary>
    ShuttingDown = 7,

    /// <summary>The handshake did not complete in time; the connection is closed.</summary>
    HandshakeTimeout = 8,
}
