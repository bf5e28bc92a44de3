using System.Buffers.Binary;
using System.Text;
using PeerEngine.Framing;

namespace PeerEngine.Tests.Support;

/// <summary>HELLO frames of either version, built by hand so tests do not trust the codec they check.</summary>
internal static class HelloBytes
{
    public static byte[] Payload(ushort version, string id, uint? maxPayload = null, params byte[] extra)
    {
        var bytes = new List<byte> { (byte)(version >> 8), (byte)version, (byte)id.Length };
        bytes.AddRange(Encoding.ASCII.GetBytes(id));
        if (maxPayload is { } max)
        {
            bytes.AddRange([(byte)(max >> 24), (byte)(max >> 16), (byte)(max >> 8), (byte)max]);
        }

        bytes.AddRange(extra);
        return [.. bytes];
    }

    public static byte[] Version1(string id) => FrameBytes.Build(FrameKind.Hello, 0, Payload(1, id));

    public static byte[] Version2(string id, uint maxPayload = 1024 * 1024) => FrameBytes.Build(FrameKind.Hello, 0, Payload(2, id, maxPayload));

    /// <summary>Reads a HELLO's payload field by field: version, id and, from version 2, the maximum (0 in version 1).</summary>
    public static (ushort Version, string Id, uint MaxPayload) Read(byte[] payload)
    {
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(payload);
        int idLength = payload[2];
        string id = Encoding.ASCII.GetString(payload, 3, idLength);
        int expected = 3 + idLength + (version >= 2 ? 4 : 0);
        Assert.Equal(expected, payload.Length);
        uint max = version >= 2 ? BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(3 + idLength)) : 0;
        return (version, id, max);
    }
}
