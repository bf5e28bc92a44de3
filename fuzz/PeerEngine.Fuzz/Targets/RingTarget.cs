using System.Buffers.Binary;
using System.Runtime.Versioning;

using PeerEngine.Transport.SharedMemory.Internal;

using static PeerEngine.Fuzz.InvariantViolationException;

namespace PeerEngine.Fuzz.Targets;

/// <summary>
/// The shared-memory ring's two ends, <see cref="RingConsumer"/> and <see cref="RingProducer"/>, each
/// facing a peer that writes anything into the mapping. The input is a script of 9-byte steps (an
/// operation byte and a u64 little-endian) over a real 4 KiB memfd ring: the hostile side sets the
/// tail, head or closed flag to any value or moves them by any amount, or scribbles on the data; this
/// side reads or writes any length. Checks: the room and the bytes available are always within the
/// capacity, or -1 (corrupt) from the first impossible counter on, for good; a read or write never
/// moves more than asked, nor more than there is; this side's own counters only go forward and stay
/// within the capacity of the last valid counter seen; and while the hostile side only makes valid
/// moves, no corruption is reported.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed unsafe class RingTarget : IFuzzTarget, IDisposable
{
    private const int Capacity = RingLayout.MinCapacity;
    private const int StepLength = 9;
    private const int MaxSteps = 256;

    private readonly byte[] _buffer = new byte[3 * Capacity];

    // Made on the first input, not in the constructor: instrumented library code that runs before the
    // fuzzer has set up its coverage memory fails with an access violation (SharpFuzz issue #34).
    private SharedMapping? _mapping;

    /// <inheritdoc />
    public string Name => "ring";

    /// <summary>Builds the input this target reads from (operation, value) steps.</summary>
    public static byte[] Recipe(params (int Operation, ulong Value)[] steps)
    {
        byte[] input = new byte[steps.Length * StepLength];
        for (int i = 0; i < steps.Length; i++)
        {
            input[i * StepLength] = (byte)steps[i].Operation;
            BinaryPrimitives.WriteUInt64LittleEndian(input.AsSpan((i * StepLength) + 1), steps[i].Value);
        }

        return input;
    }

    /// <inheritdoc />
    public void Run(ReadOnlySpan<byte> input)
    {
        // A fresh ring each run: the mapping is reused, its header and counters zeroed.
        if (_mapping is null)
        {
            _mapping = SharedMapping.Create(Capacity, out int descriptor);
            LinuxNative.Close(descriptor);
        }

        SharedMapping mapping = _mapping;
        new Span<byte>(mapping.Pointer, RingLayout.DataOffset).Clear();
        RingView inbound = mapping.Ring(0);
        RingView outbound = mapping.Ring(1);
        var consumer = new RingConsumer(inbound);
        var producer = new RingProducer(outbound);
        bool hostile = false;
        ulong hostileTail = 0;
        ulong hostileHead = 0;

        for (int step = 0; step < MaxSteps && (step + 1) * StepLength <= input.Length; step++)
        {
            byte operation = input[step * StepLength];
            ulong value = BinaryPrimitives.ReadUInt64LittleEndian(input[((step * StepLength) + 1)..]);
            switch (operation % 8)
            {
                case 0: // the peer writes within the room it has: a valid move (once it has made an invalid one, none is)
                    if (!hostile)
                    {
                        ulong room = Capacity - (hostileTail - consumer.Position);
                        hostileTail += value % (room + 1);
                        Volatile.Write(ref *inbound.Tail, hostileTail);
                    }

                    break;
                case 1: // the peer sets its tail to anything
                    hostile |= value != hostileTail;
                    hostileTail = value;
                    Volatile.Write(ref *inbound.Tail, value);
                    break;
                case 2: // the peer reads what there is to read: a valid move
                    if (!hostile)
                    {
                        hostileHead += value % (producer.Position - hostileHead + 1);
                        Volatile.Write(ref *outbound.Head, hostileHead);
                    }

                    break;
                case 3: // the peer sets its head to anything
                    hostile |= value != hostileHead;
                    hostileHead = value;
                    Volatile.Write(ref *outbound.Head, value);
                    break;
                case 4:
                    Read(consumer, (int)(value % (ulong)_buffer.Length));
                    break;
                case 5:
                    Write(producer, (int)(value % (ulong)_buffer.Length));
                    break;
                case 6: // the peer scribbles on the data, the flags, its own counter's neighbours
                    mapping.Pointer[(int)(value % (ulong)mapping.Size)] = (byte)(value >> 56);
                    if ((int)(value % (ulong)mapping.Size) < RingLayout.DataOffset)
                    {
                        hostile = true;
                    }

                    break;
                default:
                    Volatile.Write(ref *inbound.Closed, (int)value);
                    break;
            }

            Check(hostile || !consumer.IsCorrupt, "a peer making only valid moves is never reported corrupt (consumer)");
            Check(hostile || !producer.IsCorrupt, "a peer making only valid moves is never reported corrupt (producer)");
        }
    }

    public void Dispose() => _mapping?.Dispose();

    private void Read(RingConsumer consumer, int length)
    {
        bool wasCorrupt = consumer.IsCorrupt;
        ulong before = consumer.Position;
        long available = consumer.Available();
        Check(available is >= -1 and <= Capacity, "the bytes available are within the capacity, or -1");
        Check(!wasCorrupt || available == -1, "a corrupt ring stays corrupt");
        Check((available == -1) == consumer.IsCorrupt, "-1 exactly when corrupt");
        int read = consumer.Read(_buffer.AsSpan(0, length));
        Check(read >= 0 && read <= length, "a read copies at most what was asked");
        Check(available < 0 ? read == 0 : read <= available, "a read copies at most what is available, nothing once corrupt");
        Check(consumer.Position == before + (ulong)read, "the head moves by exactly what was read");
    }

    private void Write(RingProducer producer, int length)
    {
        bool wasCorrupt = producer.IsCorrupt;
        ulong before = producer.Position;
        long free = producer.Free();
        Check(free is >= -1 and <= Capacity, "the room is within the capacity, or -1");
        Check(!wasCorrupt || free == -1, "a corrupt ring stays corrupt");
        int written = producer.Write(_buffer.AsSpan(0, length));
        Check(written >= -1 && written <= length, "a write copies at most what was asked");
        Check(free < 0 ? written == -1 : written <= free || (written == -1 && producer.IsCorrupt), "a write fills at most the room there was");
        Check(producer.Position == before + (ulong)Math.Max(0, written), "the tail moves by exactly what was written");
    }
}
