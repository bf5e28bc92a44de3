using System.Buffers;
using BenchmarkDotNet.Attributes;
using PeerEngine.Framing;
using PeerEngine.Tests.Support;

namespace PeerEngine.Benchmarks;

/// <summary>
/// The framing codec's hot path: cut one frame out of a buffer (as one segment, and as a pipe hands
/// it back after several reads), and write one frame into a buffer writer.
/// </summary>
[Config(typeof(BenchmarkConfig))]
public class FramingBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(1 << 20);
    private readonly FrameReader _reader = new(WireProtocol.DefaultMaxPayloadLength);
    private ReadOnlySequence<byte> _single;
    private ReadOnlySequence<byte> _segmented;
    private byte[] _payload = [];

    [Params(0, 64, 4096, 65536)]
    public int PayloadLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[PayloadLength];
        Random.Shared.NextBytes(_payload);
        FrameWriter.Write(_output, FrameKind.Request, 7, _payload);
        byte[] frame = _output.WrittenSpan.ToArray();
        _output.ResetWrittenCount();
        _single = new ReadOnlySequence<byte>(frame);

        // The header cut after 4 bytes, the payload in 4 KiB blocks: what a pipe returns for a frame
        // that straddled two receives.
        int[] offsets = [4, .. Enumerable.Range(1, frame.Length / 4096).Select(i => i * 4096).Where(o => o < frame.Length)];
        _segmented = SegmentedSequence.Split(frame, offsets);
    }

    [Benchmark(Description = "read, one segment")]
    public long ReadSingleSegment()
    {
        ReadOnlySequence<byte> buffer = _single;
        _reader.TryRead(ref buffer, out Frame frame, out _);
        return frame.Payload.Length;
    }

    [Benchmark(Description = "read, split header and 4 KiB segments")]
    public long ReadMultiSegment()
    {
        ReadOnlySequence<byte> buffer = _segmented;
        _reader.TryRead(ref buffer, out Frame frame, out _);
        return frame.Payload.Length;
    }

    [Benchmark(Description = "write")]
    public int Write()
    {
        _output.ResetWrittenCount();
        FrameWriter.Write(_output, FrameKind.Request, 7, _payload);
        return _output.WrittenCount;
    }
}
