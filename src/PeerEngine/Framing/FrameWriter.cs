using System.Buffers;

namespace PeerEngine.Framing;

/// <summary>
/// Writes frames straight into an <see cref="IBufferWriter{T}"/> (typically a
/// <see cref="System.IO.Pipelines.PipeWriter"/>): header and payload land in the writer's memory,
/// with no intermediate array.
/// </summary>
public static class FrameWriter
{
    /// <summary>
    /// The largest span asked of the writer at once. Frames up to it are written with their header
    /// from one span, one <c>GetSpan</c>/<c>Advance</c> pair per frame; larger payloads are copied in
    /// spans of up to this size, so a 1 MiB payload never asks a pipe for a 1 MiB contiguous block,
    /// and a 60 KB one becomes one or two of a pipe's blocks rather than fifteen of its default
    /// 4 KiB (fewer pieces to gather per send, and fewer segment objects a pipe keeps afterwards).
    /// </summary>
    private const int LargestSpan = 64 * 1024;

    private const int ContiguousPayloadLimit = LargestSpan - WireProtocol.HeaderSize;

    /// <summary>Writes a frame whose payload is <paramref name="payload"/>.</summary>
    public static void Write(IBufferWriter<byte> output, FrameKind kind, uint correlationId, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(output);
        var header = new FrameHeader((uint)payload.Length, kind, 0, correlationId);
        if (payload.Length <= ContiguousPayloadLimit)
        {
            int frameLength = WireProtocol.HeaderSize + payload.Length;
            Span<byte> span = output.GetSpan(frameLength);
            header.Write(span);
            payload.CopyTo(span[WireProtocol.HeaderSize..]);
            output.Advance(frameLength);
            return;
        }

        WriteHeader(output, header);
        WriteInSpans(output, payload);
    }

    /// <summary>Writes a frame whose payload is <paramref name="payload"/>, segment by segment.</summary>
    public static void Write(IBufferWriter<byte> output, FrameKind kind, uint correlationId, in ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            Write(output, kind, correlationId, payload.FirstSpan);
            return;
        }

        ArgumentNullException.ThrowIfNull(output);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, uint.MaxValue, nameof(payload));
        WriteHeader(output, new FrameHeader((uint)payload.Length, kind, 0, correlationId));
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            WriteInSpans(output, segment.Span);
        }
    }

    /// <summary>
    /// Writes a version-2 REQUEST or MESSAGE with the TRACE flag: a trace block carrying
    /// <paramref name="traceParent"/> and <paramref name="traceState"/> (ASCII), then <paramref name="payload"/>.
    /// </summary>
    /// <returns>The length of the frame written, header included.</returns>
    public static int WriteWithTraceContext(IBufferWriter<byte> output, FrameKind kind, uint correlationId, string traceParent, string? traceState, in ReadOnlySequence<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(traceParent);
        int blockLength = TraceContextBlock.GetLength(traceParent.Length, traceState?.Length ?? 0);
        long payloadLength = blockLength + payload.Length;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(payloadLength, uint.MaxValue, nameof(payload));
        Span<byte> span = output.GetSpan(WireProtocol.HeaderSize + blockLength);
        new FrameHeader((uint)payloadLength, kind, WireProtocol.TraceFlag, correlationId).Write(span);
        TraceContextBlock.Write(span[WireProtocol.HeaderSize..], traceParent, traceState);
        output.Advance(WireProtocol.HeaderSize + blockLength);
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            WriteInSpans(output, segment.Span);
        }

        return WireProtocol.HeaderSize + (int)payloadLength;
    }

    private static void WriteInSpans(IBufferWriter<byte> output, ReadOnlySpan<byte> payload)
    {
        while (!payload.IsEmpty)
        {
            Span<byte> span = output.GetSpan(Math.Min(payload.Length, LargestSpan));
            int length = Math.Min(span.Length, payload.Length);
            payload[..length].CopyTo(span);
            output.Advance(length);
            payload = payload[length..];
        }
    }

    /// <summary>Writes a HELLO frame announcing protocol version 1 and <paramref name="nodeId"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="nodeId"/> is not a valid node id.</exception>
    public static void WriteHello(IBufferWriter<byte> output, string nodeId) =>
        WriteHello(output, nodeId, WireProtocol.Version, 0);

    /// <summary>
    /// Writes a HELLO frame of <paramref name="version"/> for <paramref name="nodeId"/>; from version 2
    /// on it announces <paramref name="maxPayloadLength"/> (at least 1,024).
    /// </summary>
    /// <returns>The length of the frame written, header included.</returns>
    /// <exception cref="ArgumentException"><paramref name="nodeId"/> is not a valid node id.</exception>
    public static int WriteHello(IBufferWriter<byte> output, string nodeId, ushort version, int maxPayloadLength)
    {
        ArgumentNullException.ThrowIfNull(output);
        NodeIdSyntax.Validate(nodeId, nameof(nodeId));
        int payloadLength = HelloPayload.GetLength(nodeId, version);
        Span<byte> span = output.GetSpan(WireProtocol.HeaderSize + payloadLength);
        new FrameHeader((uint)payloadLength, FrameKind.Hello, 0, 0).Write(span);
        HelloPayload.Write(span[WireProtocol.HeaderSize..], nodeId, version, maxPayloadLength);
        output.Advance(WireProtocol.HeaderSize + payloadLength);
        return WireProtocol.HeaderSize + payloadLength;
    }

    /// <summary>
    /// Writes an ERROR frame. The message is cut to <see cref="ErrorPayload.MaxMessageLength"/> UTF-8
    /// bytes at a character boundary, and the header's length is filled in after the payload is written.
    /// </summary>
    /// <returns>The length of the frame written, header included.</returns>
    public static int WriteError(IBufferWriter<byte> output, uint correlationId, ErrorCode code, string message)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(message);
        Span<byte> span = output.GetSpan(WireProtocol.HeaderSize + ErrorPayload.GetLength(message));
        int payloadLength = ErrorPayload.Write(span[WireProtocol.HeaderSize..], code, message);
        new FrameHeader((uint)payloadLength, FrameKind.Error, 0, correlationId).Write(span);
        output.Advance(WireProtocol.HeaderSize + payloadLength);
        return WireProtocol.HeaderSize + payloadLength;
    }

    /// <summary>Writes an ERROR frame for <paramref name="error"/>; correlation id 0 makes it a connection error.</summary>
    /// <returns>The length of the frame written, header included.</returns>
    public static int WriteError(IBufferWriter<byte> output, uint correlationId, in ProtocolError error) =>
        WriteError(output, correlationId, error.Code, error.Message);

    private static void WriteHeader(IBufferWriter<byte> output, in FrameHeader header)
    {
        header.Write(output.GetSpan(WireProtocol.HeaderSize));
        output.Advance(WireProtocol.HeaderSize);
    }
}
