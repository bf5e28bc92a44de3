using System.Buffers;
using System.Runtime.CompilerServices;

namespace PeerEngine.Framing;

/// <summary>
/// Cuts whole frames out of the bytes a <see cref="System.IO.Pipelines.PipeReader"/> returned, without
/// copying payloads, and checks every rule that the header alone decides (wire protocol v1, rules 3
/// and 4) before a single payload byte is buffered.
/// </summary>
/// <remarks>
/// Typical loop: call <see cref="TryRead"/> until it stops returning <see cref="FrameReadStatus.Complete"/>,
/// handle each frame before advancing, then <c>reader.AdvanceTo(buffer.Start, buffer.End)</c>: everything
/// up to <c>buffer.Start</c> was consumed, everything up to <c>buffer.End</c> was examined.
/// Rules that depend on the connection's state (handshake, HELLO contents) are not checked here; see
/// <see cref="HelloPayload"/> and the connection layer.
/// </remarks>
/// <param name="maxPayloadLength">The largest payload accepted; anything longer is <see cref="ErrorCode.FrameTooLarge"/>.</param>
public readonly struct FrameReader(int maxPayloadLength)
{
    /// <summary>
    /// A reader for a connection that follows <paramref name="protocolVersion"/>: from version 2 on, the
    /// TRACE flag is allowed on REQUEST and MESSAGE.
    /// </summary>
    /// <param name="maxPayloadLength">The largest payload accepted; anything longer is <see cref="ErrorCode.FrameTooLarge"/>.</param>
    /// <param name="protocolVersion">The version the connection follows (before the handshake: 1, whose rules every first frame obeys).</param>
    public FrameReader(int maxPayloadLength, ushort protocolVersion)
        : this(maxPayloadLength)
    {
        ProtocolVersion = protocolVersion;
    }

    /// <summary>The protocol version whose flag rules apply; version 1 unless given.</summary>
    public ushort ProtocolVersion { get; } = WireProtocol.Version;

    /// <summary>The largest payload accepted, in bytes.</summary>
    public int MaxPayloadLength { get; } = maxPayloadLength > 0
        ? maxPayloadLength
        : throw new ArgumentOutOfRangeException(nameof(maxPayloadLength), maxPayloadLength, "The maximum payload length must be positive.");

    /// <summary>
    /// Reads one frame from the start of <paramref name="buffer"/>. On <see cref="FrameReadStatus.Complete"/>
    /// the buffer is advanced past the frame; otherwise it is left unchanged.
    /// </summary>
    /// <param name="buffer">The unread input; advanced past the frame when one is complete.</param>
    /// <param name="frame">The frame, whose payload is a slice of the input.</param>
    /// <param name="error">When <see cref="FrameReadStatus.Invalid"/>: the rule the header breaks.</param>
    public FrameReadStatus TryRead(ref ReadOnlySequence<byte> buffer, out Frame frame, out ProtocolError error)
    {
        frame = default;
        if (!TryReadHeader(buffer, out FrameHeader header))
        {
            error = default;
            return FrameReadStatus.Incomplete;
        }

        error = Check(header);
        if (error.IsError)
        {
            return FrameReadStatus.Invalid;
        }

        if (buffer.Length - WireProtocol.HeaderSize < header.PayloadLength)
        {
            return FrameReadStatus.Incomplete;
        }

        ReadOnlySequence<byte> payload = buffer.Slice(WireProtocol.HeaderSize, header.PayloadLength);
        frame = new Frame(header, payload);
        buffer = buffer.Slice(payload.End);
        return FrameReadStatus.Complete;
    }

    /// <summary>
    /// How many more bytes must arrive before <paramref name="buffer"/> can hold a whole frame: a lower
    /// bound while the header is incomplete, exact once it is there, 0 when a frame is complete.
    /// </summary>
    public static long BytesStillNeeded(in ReadOnlySequence<byte> buffer)
    {
        if (!TryReadHeader(buffer, out FrameHeader header))
        {
            return WireProtocol.HeaderSize - buffer.Length;
        }

        return Math.Max(0, header.FrameLength - buffer.Length);
    }

    /// <summary>Checks the rules that the header alone decides, in the spec's order of precedence.</summary>
    /// <returns>The first rule broken, or <c>default</c>.</returns>
    public ProtocolError Check(in FrameHeader header)
    {
        if (header.PayloadLength > (uint)MaxPayloadLength)
        {
            return FrameTooLarge(header.PayloadLength);
        }

        if (header.Kind is < FrameKind.Hello or > FrameKind.Goodbye)
        {
            return ProtocolErrors.UnknownKind;
        }

        if (header.Flags != 0 && CheckFlags(header) is { IsError: true } flags)
        {
            return flags;
        }

        // HELLO's own rules (id 0, payload shape) rank below its version, which needs the payload:
        // HelloPayload.Parse applies them in that order.
        return header.Kind switch
        {
            FrameKind.Request when header.CorrelationId == 0 => ProtocolErrors.RequestWithoutId,
            FrameKind.Message or FrameKind.Goodbye when header.CorrelationId != 0 => ProtocolErrors.UnexpectedId,
            FrameKind.Goodbye when header.PayloadLength != 0 => ProtocolErrors.GoodbyeWithPayload,
            FrameKind.Ping or FrameKind.Pong when header.PayloadLength > WireProtocol.MaxPingPayloadLength => ProtocolErrors.PingTooLarge,
            FrameKind.Error when header.PayloadLength < WireProtocol.ErrorCodeSize => ProtocolErrors.ErrorTooShort,
            _ => default,
        };
    }

    /// <summary>Version 2 allows TRACE on REQUEST and MESSAGE, and no other bit; version 1 allows none.</summary>
    private ProtocolError CheckFlags(in FrameHeader header)
    {
        if (ProtocolVersion < WireProtocol.Version2)
        {
            return ProtocolErrors.NonZeroFlags;
        }

        if ((header.Flags & ~WireProtocol.TraceFlag) != 0)
        {
            return ProtocolErrors.UnknownFlags;
        }

        return header.Kind is FrameKind.Request or FrameKind.Message ? default : ProtocolErrors.TraceFlagMisplaced;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryReadHeader(in ReadOnlySequence<byte> buffer, out FrameHeader header)
    {
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= WireProtocol.HeaderSize)
        {
            header = FrameHeader.Read(first);
            return true;
        }

        return TryReadSplitHeader(buffer, out header);
    }

    private static bool TryReadSplitHeader(in ReadOnlySequence<byte> buffer, out FrameHeader header)
    {
        if (buffer.Length < WireProtocol.HeaderSize)
        {
            header = default;
            return false;
        }

        Span<byte> bytes = stackalloc byte[WireProtocol.HeaderSize];
        buffer.Slice(0, WireProtocol.HeaderSize).CopyTo(bytes);
        header = FrameHeader.Read(bytes);
        return true;
    }

    private ProtocolError FrameTooLarge(uint payloadLength) => new(
        ErrorCode.FrameTooLarge,
        $"payload of {payloadLength} bytes exceeds the maximum of {MaxPayloadLength} (option MaxPayloadLength)");
}
