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

/// <summary>A HELLO frame.</summary>
internal readonly struct HelloFrame(string nodeId) : IOutgoingFrame
{
    public int WriteTo(IBufferWriter<byte> output)
    {
        FrameWriter.WriteHello(output, nodeId);
        return WireProtocol.HeaderSize + HelloPayload.GetLength(nodeId);
    }
}
