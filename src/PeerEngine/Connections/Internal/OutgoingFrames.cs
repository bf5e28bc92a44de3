using System.Buffers;
using PeerEngine.Framing;

namespace PeerEngine.Connections.Internal;

/// <summary>
/// A frame waiting to be written. Structs behind a generic constraint: the write path is specialised
/// per frame shape, with no boxing and no delegate per frame.
/// </summary>
internal interface IOutgoingFrame
{
    /// <summary>Writes the frame and returns its length on the wire.</summary>
    int WriteTo(IBufferWriter<byte> output);
}

/// <summary>A frame of any kind with a payload (REQUEST, RESPONSE, MESSAGE, PING, PONG).</summary>
internal readonly struct DataFrame(FrameKind kind, uint correlationId, ReadOnlySequence<byte> payload) : IOutgoingFrame
{
    public DataFrame(FrameKind kind, uint correlationId, ReadOnlyMemory<byte> payload)
        : this(kind, correlationId, new ReadOnlySequence<byte>(payload))
    {
    }

    public int WriteTo(IBufferWriter<byte> output)
    {
        FrameWriter.Write(output, kind, correlationId, payload);
        return WireProtocol.HeaderSize + (int)payload.Length;
    }
}

/// <summary>An ERROR frame.</summary>
internal readonly struct ErrorFrame(uint correlationId, ErrorCode code, string message) : IOutgoingFrame
{
    public int WriteTo(IBufferWriter<byte> output) => FrameWriter.WriteError(output, correlationId, code, message);
}

/// <summary>A REQUEST or MESSAGE whose payload starts with a trace block (version 2, TRACE flag).</summary>
internal readonly struct TracedDataFrame(FrameKind kind, uint correlationId, string traceParent, string? traceState, ReadOnlyMemory<byte> payload) : IOutgoingFrame
{
    public int WriteTo(IBufferWriter<byte> output) =>
        FrameWriter.WriteWithTraceContext(output, kind, correlationId, traceParent, traceState, new ReadOnlySequence<byte>(payload));
}

/// <summary>A HELLO frame of <paramref name="version"/>; from version 2 on it announces <paramref name="maxPayloadLength"/>.</summary>
internal readonly struct HelloFrame(string nodeId, ushort version, int maxPayloadLength) : IOutgoingFrame
{
    public int WriteTo(IBufferWriter<byte> output) => FrameWriter.WriteHello(output, nodeId, version, maxPayloadLength);
}
