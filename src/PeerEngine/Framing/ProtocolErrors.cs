namespace PeerEngine.Framing;

/// <summary>The protocol errors of wire protocol, built once so that reporting one allocates nothing.</summary>
internal static class ProtocolErrors
{
    public static readonly ProtocolError UnknownKind = Violation("unknown frame kind");
    public static readonly ProtocolError NonZeroFlags = Violation("flags must be 0 in protocol version 1");
    public static readonly ProtocolError UnknownFlags = Violation("only the TRACE flag (0x01) is defined in protocol version 2");
    public static readonly ProtocolError TraceFlagMisplaced = Violation("the TRACE flag is allowed on REQUEST and MESSAGE only");
    public static readonly ProtocolError TraceBlockMalformed = Violation("the trace block does not fit its payload (traceparent 1 to 255 bytes, tracestate at most 512)");
    public static readonly ProtocolError RequestWithoutId = Violation("REQUEST with correlation id 0");
    public static readonly ProtocolError UnexpectedId = Violation("HELLO, MESSAGE and GOODBYE must carry correlation id 0");
    public static readonly ProtocolError GoodbyeWithPayload = Violation("GOODBYE must have an empty payload");
    public static readonly ProtocolError PingTooLarge = Violation("PING and PONG payloads are limited to 64 bytes");
    public static readonly ProtocolError ErrorTooShort = Violation("ERROR payload shorter than its 2-byte error code");
    public static readonly ProtocolError ErrorMessageNotUtf8 = Violation("ERROR message is not valid UTF-8");
    public static readonly ProtocolError HelloTooShort = Violation("HELLO payload too short to hold a version");
    public static readonly ProtocolError HelloMalformed = Violation("HELLO payload must be version (2), id length (1) and the id, exactly");
    public static readonly ProtocolError Hello2Malformed = Violation("HELLO version 2 payload must be version (2), id length (1), the id and the maximum payload (4), exactly");
    public static readonly ProtocolError HelloMaxPayloadTooSmall = Violation("HELLO maximum payload must be at least 1024 bytes");
    public static readonly ProtocolError HelloBadNodeId = Violation("HELLO node id must be 1 to 64 ASCII letters, digits, '.', '_' or '-'");
    public static readonly ProtocolError HelloRequired = Violation("the first frame must be HELLO");
    public static readonly ProtocolError SecondHello = Violation("HELLO after the handshake");
    public static readonly ProtocolError UnsupportedVersion = new(ErrorCode.UnsupportedVersion, "only protocol versions 1 and 2 are supported");
    public static readonly ProtocolError UnsupportedVersion1Only = new(ErrorCode.UnsupportedVersion, "only protocol version 1 is supported");
    public static readonly ProtocolError AnswerOfHigherVersion = new(ErrorCode.UnsupportedVersion, "the HELLO answered with a higher version than was offered");

    private static ProtocolError Violation(string message) => new(ErrorCode.ProtocolViolation, message);
}
