using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.Versioning;
using System.Text;

using PeerEngine.Framing;
using PeerEngine.Fuzz.Targets;
using PeerEngine.Registry;
using PeerEngine.Registry.Internal;

namespace PeerEngine.Fuzz;

/// <summary>
/// The seed corpus: small valid inputs made by the library's own writers, and one input per rule
/// on the edge of being broken, so the fuzzer starts next to every branch. Written once to
/// fuzz/corpus/TARGET/ and committed; rerun <c>seeds</c> only to add seeds (registry seeds differ
/// each time: a new file gets a random epoch).
/// </summary>
[SupportedOSPlatform("linux")]
internal static class SeedCorpus
{
    private const byte OneMiB = 3;
    private const byte Limit16 = 0;

    public static void Write(string folder)
    {
        foreach ((string target, string name, byte[] bytes) in All())
        {
            string targetFolder = Path.Combine(folder, target);
            Directory.CreateDirectory(targetFolder);
            File.WriteAllBytes(Path.Combine(targetFolder, name), bytes);
        }
    }

    private static IEnumerable<(string Target, string Name, byte[] Bytes)> All() =>
        FrameSeeds().Select(seed => ("frames", seed.Name, seed.Bytes))
            .Concat(HelloSeeds().Select(seed => ("hello", seed.Name, seed.Bytes)))
            .Concat(ErrorSeeds().Select(seed => ("error", seed.Name, seed.Bytes)))
            .Concat(RegistrySeeds().Select(seed => ("registry", seed.Name, seed.Bytes)))
            .Concat(RingSeeds().Select(seed => ("ring", seed.Name, seed.Bytes)));

    /// <summary>Steps of <see cref="RingTarget"/>: 0 peer writes, 1 peer's tail set, 2 peer reads, 3 peer's head set, 4 read, 5 write, 6 scribble, 7 closed flag.</summary>
    private static IEnumerable<(string Name, byte[] Bytes)> RingSeeds()
    {
        yield return ("valid-both-ways.bin", RingTarget.Recipe((0, 100), (4, 64), (4, 64), (5, 5000), (2, 3000), (5, 4000), (2, 9000), (0, 4096), (4, 4096)));
        yield return ("wrap-around.bin", RingTarget.Recipe((0, 4000), (4, 4000), (0, 300), (4, 300), (5, 4090), (2, 4090), (5, 20), (2, 20)));
        yield return ("tail-past-capacity.bin", RingTarget.Recipe((1, 4097), (4, 10)));
        yield return ("tail-back.bin", RingTarget.Recipe((0, 10), (4, 10), (1, 5), (4, 10)));
        yield return ("tail-all-ones.bin", RingTarget.Recipe((1, ulong.MaxValue), (4, 10), (5, 10)));
        yield return ("head-past-tail.bin", RingTarget.Recipe((5, 100), (3, 101), (5, 10)));
        yield return ("head-back.bin", RingTarget.Recipe((5, 100), (2, 50), (5, 1), (3, 10), (5, 1)));
        yield return ("scribble-and-close.bin", RingTarget.Recipe((6, 0xFF00_0000_0000_1000), (0, 10), (7, 1), (4, 100)));
    }

    private static IEnumerable<(string Name, byte[] Bytes)> FrameSeeds()
    {
        byte[] hello = Written(output => FrameWriter.WriteHello(output, "node-1"));
        byte[] request = Written(output => FrameWriter.Write(output, FrameKind.Request, 1, "ping?"u8));
        byte[] conversation = Written(output =>
        {
            FrameWriter.WriteHello(output, "node-a");
            FrameWriter.Write(output, FrameKind.Request, 1, "question"u8);
            FrameWriter.Write(output, FrameKind.Response, 1, "answer"u8);
            FrameWriter.WriteError(output, 2, ErrorCode.HandlerFailed, "handler failed: é");
            FrameWriter.Write(output, FrameKind.Message, 0, "one-way"u8);
            FrameWriter.Write(output, FrameKind.Ping, 3, "12345678"u8);
            FrameWriter.Write(output, FrameKind.Pong, 3, "12345678"u8);
            FrameWriter.Write(output, FrameKind.Goodbye, 0, []);
        });

        yield return ("hello.bin", FrameReaderTarget.Recipe(OneMiB, hello));
        yield return ("request.bin", FrameReaderTarget.Recipe(OneMiB, request));
        yield return ("request-split-in-header.bin", FrameReaderTarget.Recipe(OneMiB, request, 3, 7, 12));
        yield return ("conversation.bin", FrameReaderTarget.Recipe(OneMiB, conversation));
        byte[] traced = Written(output =>
        {
            FrameWriter.WriteHello(output, "node-2", WireProtocol.Version2, WireProtocol.DefaultMaxPayloadLength);
            FrameWriter.WriteWithTraceContext(output, FrameKind.Request, 7, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "k=v", new System.Buffers.ReadOnlySequence<byte>("hello"u8.ToArray()));
            FrameWriter.WriteWithTraceContext(output, FrameKind.Message, 0, "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", null, default);
        });
        yield return ("version-2-traced.bin", FrameReaderTarget.Recipe(OneMiB | 4, traced, 5, 20, 40));
        yield return ("version-2-block-past-end.bin", FrameReaderTarget.Recipe(OneMiB | 4, [0, 0, 0, 3, 2, 1, 0, 0, 0, 1, 9, 0x30, 0x30]));
        yield return ("conversation-split.bin", FrameReaderTarget.Recipe(OneMiB, conversation, 1, 10, 11, 11, 25, 40, 77, 100));
        yield return ("truncated-payload.bin", FrameReaderTarget.Recipe(OneMiB, request.AsSpan(..^2), 10));
        yield return ("truncated-header.bin", FrameReaderTarget.Recipe(OneMiB, request.AsSpan(..6), 2));
        yield return ("empty.bin", FrameReaderTarget.Recipe(OneMiB, []));
        yield return ("oversize-length.bin", FrameReaderTarget.Recipe(OneMiB, Header(uint.MaxValue, FrameKind.Request, 0, 1)));
        yield return ("over-small-limit.bin", FrameReaderTarget.Recipe(Limit16, [.. Header(17, FrameKind.Message, 0, 0), .. new byte[17]]));
        yield return ("unknown-kind.bin", FrameReaderTarget.Recipe(OneMiB, Header(0, (FrameKind)0x09, 0, 0)));
        yield return ("nonzero-flags.bin", FrameReaderTarget.Recipe(OneMiB, Header(0, FrameKind.Message, 0x80, 0)));
        yield return ("request-id-zero.bin", FrameReaderTarget.Recipe(OneMiB, Header(0, FrameKind.Request, 0, 0)));
        yield return ("goodbye-with-payload.bin", FrameReaderTarget.Recipe(OneMiB, [.. Header(1, FrameKind.Goodbye, 0, 0), 0]));
        yield return ("ping-too-large.bin", FrameReaderTarget.Recipe(OneMiB, Header(65, FrameKind.Ping, 0, 9)));
        yield return ("error-too-short.bin", FrameReaderTarget.Recipe(OneMiB, [.. Header(1, FrameKind.Error, 0, 0), 1]));
        yield return ("valid-then-invalid.bin", FrameReaderTarget.Recipe(OneMiB, [.. hello, .. Header(0, FrameKind.Message, 1, 7)], 5));
    }

    private static IEnumerable<(string Name, byte[] Bytes)> HelloSeeds()
    {
        byte[] valid = HelloPayloadBytes("node-1");
        byte[] longest = HelloPayloadBytes(new string('x', WireProtocol.MaxNodeIdLength));

        yield return ("valid.bin", HelloPayloadTarget.Recipe(false, valid));
        yield return ("valid-split.bin", HelloPayloadTarget.Recipe(false, valid, 1, 3, 3));
        yield return ("longest-id.bin", HelloPayloadTarget.Recipe(false, longest, 40));
        yield return ("id-too-long.bin", HelloPayloadTarget.Recipe(false, [0, 1, 65, .. Encoding.ASCII.GetBytes(new string('x', 65))]));
        yield return ("id-length-past-end.bin", HelloPayloadTarget.Recipe(false, [0, 1, 200, (byte)'a']));
        yield return ("empty-id.bin", HelloPayloadTarget.Recipe(false, [0, 1, 0]));
        yield return ("bad-character.bin", HelloPayloadTarget.Recipe(false, [0, 1, 3, (byte)'a', (byte)'/', (byte)'b']));
        yield return ("version-2.bin", HelloPayloadTarget.Recipe(true, [0, 2, 200]));
        yield return ("correlation-id.bin", HelloPayloadTarget.Recipe(true, valid));
        yield return ("version-only.bin", HelloPayloadTarget.Recipe(false, [0, 1]));
        yield return ("one-byte.bin", HelloPayloadTarget.Recipe(false, [0]));
        byte[] version2 = Written(output => FrameWriter.WriteHello(output, "node-1", WireProtocol.Version2, 4096))[WireProtocol.HeaderSize..];
        yield return ("version-2-valid.bin", HelloPayloadTarget.Recipe(false, version2, 2, 8));
        yield return ("version-2-max-too-small.bin", HelloPayloadTarget.Recipe(false, [0, 2, 1, (byte)'a', 0, 0, 3, 255]));
        yield return ("version-2-short.bin", HelloPayloadTarget.Recipe(false, version2.AsSpan(0, version2.Length - 1)));
        yield return ("version-2-huge-max.bin", HelloPayloadTarget.Recipe(false, [0, 2, 1, (byte)'a', 255, 255, 255, 255]));
        yield return ("version-2-to-version-1-node.bin", HelloPayloadTarget.Version1OnlyRecipe(false, version2));
    }

    private static IEnumerable<(string Name, byte[] Bytes)> ErrorSeeds()
    {
        byte[] message = ErrorPayloadBytes(ErrorCode.Overloaded, "over the limit of work in flight");
        byte[] multibyte = ErrorPayloadBytes(ErrorCode.HandlerFailed, "é€😀");
        byte[] atTheCut = ErrorPayloadBytes(ErrorCode.ProtocolViolation, "😀" + new string('a', ErrorPayload.MaxMessageLength - 2));

        yield return ("message.bin", ErrorPayloadTarget.Recipe(message));
        yield return ("empty-message.bin", ErrorPayloadTarget.Recipe([0, 4]));
        yield return ("unknown-code.bin", ErrorPayloadTarget.Recipe([0xFF, 0xFF, (byte)'?']));
        yield return ("multibyte-split-in-characters.bin", ErrorPayloadTarget.Recipe(multibyte, 1, 3, 5, 8));
        yield return ("not-utf8.bin", ErrorPayloadTarget.Recipe([0, 1, 0xC3, 0x28, 0xFF]));
        yield return ("truncated-character.bin", ErrorPayloadTarget.Recipe([0, 1, 0xF0, 0x9F, 0x98]));
        yield return ("surrogate-encoded.bin", ErrorPayloadTarget.Recipe([0, 1, 0xED, 0xA0, 0x80]));
        yield return ("one-byte.bin", ErrorPayloadTarget.Recipe([4]));
        yield return ("longer-than-the-writer-sends.bin", ErrorPayloadTarget.Recipe(atTheCut, 500));
    }

    private static IEnumerable<(string Name, byte[] Bytes)> RegistrySeeds()
    {
        byte[] twoPeers = WrittenRegistry(capacity: 4,
            new PeerAnnouncement { Id = "tcp-peer", Host = "127.0.0.1", Port = 5000 },
            new PeerAnnouncement { Id = "unix-peer", Transport = PeerTransport.UnixSocket, UnixPath = "/run/peer.sock" });
        byte[] full = WrittenRegistry(capacity: 1, new PeerAnnouncement { Id = "only", Host = "localhost", Port = 1 });

        byte[] interrupted = twoPeers.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(interrupted.AsSpan(RegistryLayout.ReadyOffset), 0);

        byte[] halfWritten = twoPeers.ToArray();
        halfWritten[RegistryLayout.SlotOffset(0) + RegistryLayout.SeqOffset] |= 1;

        byte[] corruptSlot = twoPeers.ToArray();
        corruptSlot[RegistryLayout.SlotOffset(1) + RegistryLayout.IdLengthOffset] = RegistryLayout.MaxIdBytes + 1;

        byte[] zeroHeaderOverData = twoPeers.ToArray();
        zeroHeaderOverData.AsSpan(0, RegistryLayout.HeaderSize).Clear();

        yield return ("two-peers.bin", RegistryFileTarget.Recipe(false, false, twoPeers));
        yield return ("two-peers-fixing-checksums.bin", RegistryFileTarget.Recipe(true, true, twoPeers));
        yield return ("full.bin", RegistryFileTarget.Recipe(false, false, full));
        yield return ("empty-registry.bin", RegistryFileTarget.Recipe(false, false, WrittenRegistry(capacity: 2)));
        yield return ("interrupted-creation.bin", RegistryFileTarget.Recipe(false, false, interrupted));
        yield return ("half-written-slot.bin", RegistryFileTarget.Recipe(false, false, halfWritten));
        yield return ("corrupt-slot.bin", RegistryFileTarget.Recipe(false, false, corruptSlot));
        yield return ("corrupt-slot-fixing-checksums.bin", RegistryFileTarget.Recipe(true, true, corruptSlot));
        yield return ("zero-header-over-data.bin", RegistryFileTarget.Recipe(false, false, zeroHeaderOverData));
        yield return ("truncated.bin", RegistryFileTarget.Recipe(false, false, twoPeers.AsSpan(..(RegistryLayout.HeaderSize + RegistryLayout.SlotSize + 100))));
        yield return ("header-only.bin", RegistryFileTarget.Recipe(false, false, twoPeers.AsSpan(..RegistryLayout.HeaderSize)));
        yield return ("empty.bin", RegistryFileTarget.Recipe(false, false, []));
        yield return ("foreign.bin", RegistryFileTarget.Recipe(false, false, "127.0.0.1:5000\n127.0.0.1:5001\n"u8));
    }

    private static byte[] Written(Action<IBufferWriter<byte>> write)
    {
        var output = new ArrayBufferWriter<byte>();
        write(output);
        return output.WrittenSpan.ToArray();
    }

    private static byte[] Header(uint payloadLength, FrameKind kind, byte flags, uint correlationId)
    {
        byte[] header = new byte[WireProtocol.HeaderSize];
        new FrameHeader(payloadLength, kind, flags, correlationId).Write(header);
        return header;
    }

    private static byte[] HelloPayloadBytes(string nodeId) =>
        Written(output => FrameWriter.WriteHello(output, nodeId))[WireProtocol.HeaderSize..];

    private static byte[] ErrorPayloadBytes(ErrorCode code, string message)
    {
        // The writer cuts messages at its limit; a seed over the limit is built by hand.
        byte[] text = Encoding.UTF8.GetBytes(message);
        byte[] payload = new byte[sizeof(ushort) + text.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)code);
        text.CopyTo(payload, sizeof(ushort));
        return payload;
    }

    /// <summary>A registry file as the real writer leaves it with <paramref name="peers"/> published, copied while they are.</summary>
    private static byte[] WrittenRegistry(int capacity, params PeerAnnouncement[] peers)
    {
        DirectoryInfo folder = Directory.CreateTempSubdirectory("peerengine-seed-");
        try
        {
            string path = Path.Combine(folder.FullName, "registry.bin");
            using PeerRegistry registry = RegistryFileTarget.Open(path, capacity);
            var registrations = peers.Select(registry.Publish).ToList();
            byte[] bytes = File.ReadAllBytes(path);
            registrations.ForEach(registration => registration.Dispose());
            return bytes;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
