using System.Buffers;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using PeerEngine.Buffers;

namespace PeerEngine.Benchmarks;

/// <summary>
/// PeerEngine's pools against the runtime's shared ones, one request's worth and a burst's worth:
/// the pipes' 4 KiB blocks (<see cref="BlockMemoryPool"/> against <see cref="MemoryPool{T}.Shared"/>)
/// and a 64-byte payload copy (<see cref="PooledBuffer"/> against <see cref="ArrayPool{T}.Shared"/>).
/// A burst holds 64 at once, as 64 connections or 64 pipelined requests do: beyond 32 per size and
/// core the shared array pool allocates (the reason PeerEngine keeps its own).
/// </summary>
[Config(typeof(BenchmarkConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class PoolBenchmarks
{
    private const int Burst = 64;
    private const int BlockLength = 4096;

    private readonly byte[] _payload = new byte[64];
    private readonly IMemoryOwner<byte>[] _blocks = new IMemoryOwner<byte>[Burst];
    private readonly PooledBuffer[] _buffers = new PooledBuffer[Burst];
    private readonly byte[][] _arrays = new byte[Burst][];

    [GlobalSetup]
    public void Setup() => Random.Shared.NextBytes(_payload);

    [Benchmark(Baseline = true, Description = "block: MemoryPool.Shared")]
    [BenchmarkCategory("one block")]
    public int SharedBlock()
    {
        using IMemoryOwner<byte> block = MemoryPool<byte>.Shared.Rent(BlockLength);
        return block.Memory.Length;
    }

    [Benchmark(Description = "block: BlockMemoryPool")]
    [BenchmarkCategory("one block")]
    public int PeerEngineBlock()
    {
        using IMemoryOwner<byte> block = BlockMemoryPool.Shared.Rent(BlockLength);
        return block.Memory.Length;
    }

    [Benchmark(Baseline = true, Description = "64 blocks held: MemoryPool.Shared", OperationsPerInvoke = Burst)]
    [BenchmarkCategory("64 blocks held")]
    public int SharedBlocks() => RentAndReturn(MemoryPool<byte>.Shared);

    [Benchmark(Description = "64 blocks held: BlockMemoryPool", OperationsPerInvoke = Burst)]
    [BenchmarkCategory("64 blocks held")]
    public int PeerEngineBlocks() => RentAndReturn(BlockMemoryPool.Shared);

    [Benchmark(Baseline = true, Description = "payload copy: ArrayPool.Shared")]
    [BenchmarkCategory("one payload")]
    public int SharedArrayCopy()
    {
        byte[] array = ArrayPool<byte>.Shared.Rent(_payload.Length);
        _payload.CopyTo(array, 0);
        int first = array[0];
        ArrayPool<byte>.Shared.Return(array);
        return first;
    }

    [Benchmark(Description = "payload copy: PooledBuffer")]
    [BenchmarkCategory("one payload")]
    public int PeerEngineCopy()
    {
        PooledBuffer buffer = PooledBuffer.CopyOf(new ReadOnlySequence<byte>(_payload));
        int first = buffer.WrittenSpan[0];
        buffer.Return();
        return first;
    }

    [Benchmark(Baseline = true, Description = "64 payloads held: ArrayPool.Shared", OperationsPerInvoke = Burst)]
    [BenchmarkCategory("64 payloads held")]
    public int SharedArrayCopies()
    {
        for (int i = 0; i < Burst; i++)
        {
            _arrays[i] = ArrayPool<byte>.Shared.Rent(_payload.Length);
            _payload.CopyTo(_arrays[i], 0);
        }

        int sum = 0;
        for (int i = 0; i < Burst; i++)
        {
            sum += _arrays[i][0];
            ArrayPool<byte>.Shared.Return(_arrays[i]);
        }

        return sum;
    }

    [Benchmark(Description = "64 payloads held: PooledBuffer", OperationsPerInvoke = Burst)]
    [BenchmarkCategory("64 payloads held")]
    public int PeerEngineCopies()
    {
        var payload = new ReadOnlySequence<byte>(_payload);
        for (int i = 0; i < Burst; i++)
        {
            _buffers[i] = PooledBuffer.CopyOf(payload);
        }

        int sum = 0;
        for (int i = 0; i < Burst; i++)
        {
            sum += _buffers[i].WrittenSpan[0];
            _buffers[i].Return();
        }

        return sum;
    }

    private int RentAndReturn(MemoryPool<byte> pool)
    {
        for (int i = 0; i < Burst; i++)
        {
            _blocks[i] = pool.Rent(BlockLength);
        }

        int sum = 0;
        for (int i = 0; i < Burst; i++)
        {
            sum += _blocks[i].Memory.Length;
            _blocks[i].Dispose();
        }

        return sum;
    }
}
