using System.Buffers;

namespace PeerEngine.Framing;

/// <summary>
/// A whole frame as read from the wire. The payload is a slice of the buffer it was read from,
/// not a copy: it is valid only until the reader advances past it.
/// </summary>
/// <param name="Header">The frame's header.</param>
/// <param name="Payload">The payload bytes, a view into the input buffer.</param>
public readonly record struct Frame(FrameHeader Header, ReadOnlySequence<byte> Payload)
{
    /// <summary>The frame kind.</summary>
    public FrameKind Kind => Header.Kind;

    /// <summary>The correlation id.</summary>
    public uint CorrelationId => Header.CorrelationId;
}
