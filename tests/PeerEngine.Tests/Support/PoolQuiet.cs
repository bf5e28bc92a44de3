using PeerEngine.Buffers;

namespace PeerEngine.Tests.Support;

/// <summary>
/// The process's pool counts, read by tests of the pool-accounting group: connections that earlier
/// tests closed may still be giving blocks back, so a test starts from counts that have stopped moving.
/// </summary>
internal static class PoolQuiet
{
    /// <summary>Blocks and buffers outstanding once no rent or return has happened for 100 ms.</summary>
    public static async Task<(long Blocks, long Buffers)> SettledAsync()
    {
        static (long, long) Read() => (BlockMemoryPool.Shared.Counters.Outstanding, PooledBuffer.Counters.Outstanding);
        (long, long) last = Read();
        int unchanged = 0;
        await Eventually.TrueAsync(
            () =>
            {
                (long, long) now = Read();
                unchanged = now == last ? unchanged + 1 : 0;
                last = now;
                return unchanged >= 20; // 20 polls of 5 ms
            },
            "the pools are quiet");
        return last;
    }

    /// <summary>Blocks outstanding once the pool is quiet.</summary>
    public static async Task<long> SettledBlocksAsync() => (await SettledAsync()).Blocks;

    /// <summary>Waits until the blocks outstanding are back to <paramref name="outstanding"/>; the failure lists where the others were rented.</summary>
    public static Task BlocksBackAsync(long outstanding, TimeSpan? within = null) =>
        Eventually.TrueAsync(
            () => BlockMemoryPool.Shared.Counters.Outstanding == outstanding,
            () => $"the blocks outstanding are back to {outstanding} ({BlockMemoryPool.Shared.Counters}){Environment.NewLine}" +
                string.Join(Environment.NewLine, BlockMemoryPool.Shared.DescribeOutstanding()),
            within ?? TimeSpan.FromSeconds(10));
}
