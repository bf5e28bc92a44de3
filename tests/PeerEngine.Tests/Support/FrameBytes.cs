using System.Buffers;
using PeerEngine.Framing;

namespace PeerEngine.Tests.Support;

/// <summary>Frames as raw bytes, built by hand so tests do not trust the writer they check.</summary>
internal static class FrameBytes
{
    public static byte[] Build(uint payloadLength, byte kind, byte flags, uint correlationId, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[10 + payload.Length];
        bytes[0] = (byte)(payloadLength >> 24);
        bytes[1] = (byte)(payloadLength >> 16);
        bytes[2] = (byte)(payloadLength >> 8);
        bytes[3] = (byte)payloadLength;
        bytes[4] = kind;
        bytes[5] = flags;
        bytes[6] = (byte)(correlationId >> 24);
        bytes[7] = (byte)(correlationId >> 16);
        bytes[8] = (byte)(correlationId >> 8);
        bytes[9] = (byte)correlationId;
        payload.CopyTo(bytes.AsSpan(10));
        return bytes;
    }

    public static byte[] Build(FrameKind kind, uint correlationId, ReadOnlySpan<byte> payload) =>
        Build((uint)payload.Length, (byte)kind, 0, correlationId, payload);

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static byte[] Written(Action<IBufferWriter<byte>> write)
    {
        var writer = new ArrayBufferWriter<byte>();
        write(writer);
        return writer.WrittenSpan.ToArray();
    }
}
