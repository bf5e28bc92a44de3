namespace PeerEngine;

/// <summary>
/// Why a connection ended. The first reason recorded wins and is kept, so a dead connection says what
/// killed it. Grouped by origin: 1xx this side decided, 2xx the peer decided, 3xx the network, 4xx a
/// broken rule or limit.
/// </summary>
public enum ShutdownReason
{
    /// <summary>Still open.</summary>
    None = 0,

    /// <summary>This side closed gracefully (GOODBYE and drain).</summary>
    LocalClose = 100,

    /// <summary>This side aborted the connection.</summary>
    LocalAbort = 101,

    /// <summary>The graceful close did not drain within the drain timeout and was cut short.</summary>
    DrainTimeout = 102,

    /// <summary>The peer closed gracefully (GOODBYE and drain).</summary>
    PeerGoodbye = 200,

    /// <summary>The peer stopped sending without a GOODBYE.</summary>
    PeerClosed = 201,

    /// <summary>The peer sent a connection error (an ERROR with id 0).</summary>
    PeerError = 202,

    /// <summary>The connection was reset or broke.</summary>
    ConnectionReset = 300,

    /// <summary>The peer broke a protocol rule; this side sent a connection ERROR.</summary>
    ProtocolViolation = 400,

    /// <summary>The handshake did not complete within the handshake timeout.</summary>
    HandshakeTimeout = 401,

    /// <summary>Nothing was received for the keep-alive timeout.</summary>
    KeepAliveTimeout = 402,

    /// <summary>A started frame arrived slower than the minimum data rate.</summary>
    MinimumDataRate = 403,

    /// <summary>Setting the connection up before the protocol failed (a TLS handshake, for one).</summary>
    SetupFailed = 404,
}

/// <summary>Plain words for a <see cref="ShutdownReason"/>.</summary>
internal static class ShutdownReasons
{
    public static string Describe(ShutdownReason reason) => reason switch
    {
        ShutdownReason.None => "the connection is open",
        ShutdownReason.LocalClose => "closed by this side",
        ShutdownReason.LocalAbort => "aborted by this side",
        ShutdownReason.DrainTimeout => "the graceful close timed out (option DrainTimeout)",
        ShutdownReason.PeerGoodbye => "the peer said goodbye",
        ShutdownReason.PeerClosed => "the peer closed the connection",
        ShutdownReason.PeerError => "the peer reported a connection error",
        ShutdownReason.ConnectionReset => "the connection was reset",
        ShutdownReason.ProtocolViolation => "the peer broke the protocol",
        ShutdownReason.HandshakeTimeout => "the handshake timed out (option HandshakeTimeout)",
        ShutdownReason.KeepAliveTimeout => "nothing was received for the keep-alive timeout (option KeepAliveTimeout)",
        ShutdownReason.MinimumDataRate => "a frame arrived slower than the minimum data rate (option MinDataRate)",
        ShutdownReason.SetupFailed => "setting the connection up before the protocol failed",
        _ => reason.ToString(),
    };
}
