using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;

namespace PeerEngine.Buffers;

/// <summary>
/// The memory behind every connection's pipes: blocks of three sizes (4, 16 and 64 KiB), each an
/// owner object that keeps its array for life, so a rent and its return allocate nothing.
/// </summary>
/// <remarks>
/// <para>
/// The pipes' default, <see cref="MemoryPool{T}.Shared"/>, allocates an owner object per rent and
/// draws from <see cref="ArrayPool{T}.Shared"/>, which keeps 32 arrays per size and core: a server
/// on one core with 64 connections, or 16 frames of 64 KiB in flight, rents beyond that and
/// allocates on every request (issue 7 measured 140 B to 53 KB per request from this alone).
/// </para>
/// <para>
/// Each size keeps at most <see cref="RetainedBytesPerSize"/> of returned blocks; beyond it a block
/// is dropped to the GC, so a burst does not pin its peak forever. Idle connections hold no block
/// (zero-byte reads, and the pipes return a block once it is consumed).
/// </para>
/// </remarks>
internal sealed class BlockMemoryPool : MemoryPool<byte>
{
    /// <summary>Returned blocks kept per size: 4,096 of 4 KiB, 1,024 of 16 KiB, 256 of 64 KiB.</summary>
    public const int RetainedBytesPerSize = 16 * 1024 * 1024;

    private const int SmallestBlock = 4 * 1024;
    private const int Sizes = 3; // 4, 16 and 64 KiB: each four times the one before

    private readonly BlockStack[] _stacks = new BlockStack[Sizes];

    // Diagnostics mode only: where each block still out was rented, so that a leak names its pipe
    // and its path (a count alone says only that blocks are missing). Null otherwise: no cost.
    private readonly ConcurrentDictionary<Block, StackTrace>? _rentedAt = PoolDiagnostics.Enabled ? new() : null;

    internal BlockMemoryPool()
    {
        for (int i = 0; i < Sizes; i++)
        {
            _stacks[i] = new BlockStack(this, SmallestBlock << (2 * i));
        }
    }

    /// <summary>Rents and returns of this pool, counted only when <see cref="PoolDiagnostics.Enabled"/>.</summary>
    public PoolCounters Counters { get; } = new();

    /// <summary>The process's pool: blocks are shared by every connection, none belongs to one.</summary>
    public static new BlockMemoryPool Shared { get; } = new();

    /// <summary>A pipe asks for more than this from <see cref="ArrayPool{T}.Shared"/> directly (a pipe's own rule).</summary>
    public override int MaxBufferSize => SmallestBlock << (2 * (Sizes - 1));

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, MaxBufferSize);
        int size = 0;
        while (size < Sizes - 1 && _stacks[size].BlockLength < minBufferSize)
        {
            size++;
        }

        if (PoolDiagnostics.Enabled)
        {
            Counters.Rented();
            Block block = _stacks[size].Rent();
            _rentedAt![block] = new StackTrace(1, fNeedFileInfo: false);
            return block;
        }

        return _stacks[size].Rent();
    }

    /// <summary>
    /// Diagnostics mode: the blocks rented and not returned, grouped by the stack that rented them,
    /// most frequent first; empty when the mode is off. Read it once the pool is quiet: a block
    /// rented or returned meanwhile may or may not be listed.
    /// </summary>
    public IReadOnlyList<string> DescribeOutstanding()
    {
        if (_rentedAt is null)
        {
            return [];
        }

        return
        [
            .. _rentedAt
                .Select(pair => (Length: pair.Key.Length, Stack: pair.Value.ToString()))
                .GroupBy(rent => rent)
                .OrderByDescending(group => group.Count())
                .Select(group => $"{group.Count()} block(s) of {group.Key.Length / 1024} KiB rented at{Environment.NewLine}{group.Key.Stack}"),
        ];
    }

    /// <summary>Diagnostics mode: forgets where <paramref name="block"/> was rented, before it can be rented again.</summary>
    private void Returning(Block block) => _rentedAt?.TryRemove(block, out _);

    protected override void Dispose(bool disposing)
    {
        // Shared for the life of the process: nothing to release early.
    }

    /// <summary>The returned blocks of one size.</summary>
    private sealed class BlockStack(BlockMemoryPool pool, int blockLength)
    {
        private readonly ConcurrentQueue<Block> _returned = new();
        private readonly int _retainedLimit = RetainedBytesPerSize / blockLength;
        private int _retained;

        public int BlockLength => blockLength;

        public BlockMemoryPool Pool => pool;

        public Block Rent()
        {
            if (_returned.TryDequeue(out Block? block))
            {
                Interlocked.Decrement(ref _retained);
                block.MarkRented();
                return block;
            }

            var created = new Block(this, GC.AllocateUninitializedArray<byte>(blockLength));
            created.MarkRented();
            return created;
        }

        public void Return(Block block)
        {
            if (Interlocked.Increment(ref _retained) <= _retainedLimit)
            {
                _returned.Enqueue(block);
            }
            else
            {
                Interlocked.Decrement(ref _retained);
            }
        }

        public override string ToString() => $"{blockLength / 1024} KiB blocks of {pool}";
    }

    /// <summary>One block; disposing it gives it back.</summary>
    private sealed class Block(BlockStack stack, byte[] array) : IMemoryOwner<byte>
    {
        private int _rented;

        public int Length => array.Length;

        public Memory<byte> Memory => _rented != 0 ? array : throw new ObjectDisposedException(nameof(Block));

        public void MarkRented() => _rented = 1;

        public void Dispose()
        {
            if (PoolDiagnostics.Enabled)
            {
                DisposeCounted();
                return;
            }

            // A pipe disposes each block once; a second dispose must not hand one block to two renters.
            if (_rented != 0)
            {
                _rented = 0;
                stack.Return(this);
            }
        }

        /// <summary>Diagnostics mode: an atomic check, so that even two racing disposes are caught.</summary>
        private void DisposeCounted()
        {
            if (Interlocked.Exchange(ref _rented, 0) != 0)
            {
                stack.Pool.Returning(this);
                stack.Pool.Counters.Returned();
                stack.Return(this);
            }
            else
            {
                stack.Pool.Counters.ReturnedTwice(stack.ToString());
            }
        }
    }
}
