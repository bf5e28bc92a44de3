namespace PeerEngine.Framing;

/// <summary>The fixed numbers of wire protocol v1.</summary>
public static class WireProtocol
{
    /// <summary>The only protocol version this engine speaks.</summary>
    public const ushort Version = 1;

    /// <summary>Bytes in a frame header: length (4), kind (1), flags (1), correlation id (4).</summary>
    public const int HeaderSize = 10;

    /// <summary>The default maximum payload a receiver accepts: 1 MiB.</summary>
    public const int DefaultMaxPayloadLength = 1024 * 1024;

    /// <summary>The largest payload a PING or PONG may carry.</summary>
    public const int MaxPingPayloadLength = 64;

    /// <summary>The shortest node id, in bytes.</summary>
    public const int MinNodeIdLength = 1;

    /// <summary>The longest node id, in bytes.</summary>
    public const int MaxNodeIdLength = 64;

    /// <summary>Bytes of a HELLO payload before the id: version (2) and id length (1).</summary>
    internal const int HelloPrefixSize = 3;

    /// <summary>Bytes of an ERROR payload before the message: the error code.</summary>
    internal const int ErrorCodeSize = 2;

    /// <summary>Whether an error code obliges its sender to close the connection (rules 1–5, 9).</summary>
    public static bool ClosesConnection(ErrorCode code) => code is ErrorCode.ProtocolViolation
        or ErrorCode.FrameTooLarge or ErrorCode.UnsupportedVersion or ErrorCode.HandshakeTimeout;
}
