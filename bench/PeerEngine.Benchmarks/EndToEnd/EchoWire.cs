using System.Buffers;
using System.Buffers.Binary;
using PeerEngine.Framing;

namespace PeerEngine.Benchmarks.EndToEnd;

/// <summary>The few wire-protocol facts every baseline and the client share (protocol v1, wire-protocol-v1.md).</summary>
internal static class EchoWire
{
    public const int HeaderSize = WireProtocol.HeaderSize;

    /// <summary>Offset of the kind byte in the header.</summary>
    public const int KindOffset = 4;

    /// <summary>The largest payload the baselines accept: the protocol's default maximum, 1 MiB.</summary>
    public const int MaxPayloadLength = WireProtocol.DefaultMaxPayloadLength;

    /// <summary>A whole HELLO frame for <paramref name="nodeId"/>, built once per server or connection.</summary>
    public static byte[] Hello(string nodeId)
    {
        var writer = new ArrayBufferWriter<byte>();
        FrameWriter.WriteHello(writer, nodeId);
        return writer.WrittenSpan.ToArray();
    }

    /// <summary>The payload length announced by the header at the start of <paramref name="header"/>.</summary>
    public static int PayloadLength(ReadOnlySpan<byte> header) => (int)BinaryPrimitives.ReadUInt32BigEndian(header);
}
