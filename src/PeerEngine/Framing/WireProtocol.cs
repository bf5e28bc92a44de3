namespace PeerEngine.Framing;

/// <summary>The fixed numbers of the wire protocol, versions 1 and 2.</summary>
public static class WireProtocol
{
    /// <summary>Protocol version 1, the base protocol: every node speaks it.</summary>
    public const ushort Version = 1;

    /// <summary>
    /// Protocol version 2, the highest this engine speaks: version 1 plus the peer's maximum payload in
    /// its HELLO and trace context on REQUEST and MESSAGE.
    /// </summary>
    public const ushort Version2 = 2;

    /// <summary>The smallest maximum payload a version-2 HELLO may announce.</summary>
    public const int MinAnnouncedMaxPayloadLength = 1024;

    /// <summary>Flag bit of a version-2 REQUEST or MESSAGE whose payload starts with a trace block.</summary>
    public const byte TraceFlag = 0x01;

    /// <summary>The longest <c>tracestate</c> a trace block may carry, in bytes.</summary>
    public const int MaxTraceStateLength = 512;

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

    /// <summary>Bytes of a version-2 HELLO payload after the id: the maximum payload (u32).</summary>
    internal const int HelloMaxPayloadSize = 4;

    /// <summary>Bytes of an ERROR payload before the message: the error code.</summary>
    internal const int ErrorCodeSize = 2;

    /// <summary>Whether an error code obliges its sender to close the connection (rules 1–5, 9).</summary>
    public static bool ClosesConnection(ErrorCode code) => code is ErrorCode.ProtocolViolation
        or ErrorCode.FrameTooLarge or ErrorCode.UnsupportedVersion or ErrorCode.HandshakeTimeout;
}
