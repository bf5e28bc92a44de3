namespace PeerEngine.Framing;

/// <summary>The kind of a frame: byte 4 of the header (wire protocol v1, table of kinds).</summary>
public enum FrameKind : byte
{
    /// <summary>Opens the conversation: protocol version and the sender's node id. Correlation id 0.</summary>
    Hello = 0x01,

    /// <summary>Application bytes that expect exactly one <see cref="Response"/> or <see cref="Error"/>.</summary>
    Request = 0x02,

    /// <summary>The answer to the request with the same correlation id.</summary>
    Response = 0x03,

    /// <summary>An error code and a UTF-8 message; correlation id of the request, or 0 for the connection.</summary>
    Error = 0x04,

    /// <summary>One-way application bytes; never answered. Correlation id 0.</summary>
    Message = 0x05,

    /// <summary>Keep-alive probe; at most 64 payload bytes, echoed by a <see cref="Pong"/>.</summary>
    Ping = 0x06,

    /// <summary>The answer to a <see cref="Ping"/>: same correlation id, same payload.</summary>
    Pong = 0x07,

    /// <summary>Graceful shutdown: the sender starts no new work. Correlation id 0, empty payload.</summary>
    Goodbye = 0x08,
}
