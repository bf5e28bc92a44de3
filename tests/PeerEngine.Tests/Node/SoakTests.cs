using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Node;
using PeerEngine.Tests.Buffers;
using PeerEngine.Tests.Support;
using Xunit.Abstractions;

namespace PeerEngine.Tests.Node;

/// <summary>
/// Nodes in this process under mixed load (requests of many sizes, one-way messages, broadcasts) while
/// peers join and leave, for <c>PEERENGINE_SOAK_SECONDS</c> (default 30): the managed heap stays flat
/// after warm-up, and once every node is disposed every pooled block and buffer is back, none twice.
/// </summary>
/// <remarks>In the pool-accounting group: its counts are the process's, so nothing else may run meanwhile.</remarks>
[Collection(PoolAccountingGroup.Name)]
[Trait("Category", "Soak")]
public sealed class SoakTests(ITestOutputHelper output)
{
    private static readonly int[] Sizes = [0, 1, 10, 100, 1000, 4096, 16_384, 65_536, 200_000];
    private static readonly string[] StableIds = ["soak-a", "soak-b", "soak-c"];

    // The heap may grow by this much from the first third to the last, beyond 10 %: pools fill up to
    // their retention limits during the run (blocks 16 MiB per size, payload arrays 32 MiB), but they
    // fill early; a leak of 100 bytes per request (about 2,000 requests a second here) grows the heap
    // by 4 MiB in 20 s and fails the check.
    private const long HeapSlack = 4 * 1024 * 1024;

    [Fact]
    public async Task Soak_mixed_load_with_peers_joining_and_leaving_keeps_memory_flat_and_returns_every_pooled_block()
    {
        TimeSpan duration = TimeSpan.FromSeconds(int.Parse(Environment.GetEnvironmentVariable("PEERENGINE_SOAK_SECONDS") ?? "30", CultureInfo.InvariantCulture));
        (long blocksAtStart, long buffersAtStart) = await PoolQuiet.SettledAsync();
        long blockDoubles = BlockMemoryPool.Shared.Counters.DoubleReturns;
        long bufferDoubles = PooledBuffer.Counters.DoubleReturns;

        var run = new SoakRun();
        await using (var cluster = new NodeCluster())
        await using (run)
        {
            foreach (string id in StableIds)
            {
                run.Live[id] = await run.StartNodeAsync(id, cluster);
            }

            await NodeCluster.SeeEachOtherAsync([.. run.Live.Values]);
            var clock = Stopwatch.StartNew();
            Task[] load =
            [
                .. Enumerable.Range(0, 6).Select(w => Task.Run(() => RequestLoopAsync(run, w))),
                .. Enumerable.Range(0, 2).Select(w => Task.Run(() => MessageLoopAsync(run, w))),
                Task.Run(() => BroadcastLoopAsync(run)),
                Task.Run(() => ChurnLoopAsync(run, cluster)),
            ];

            List<(TimeSpan At, long Heap, long Rss)> samples = [];
            TimeSpan every = duration / 15;
            while (clock.Elapsed < duration && load.All(t => !t.IsCompleted))
            {
                await Task.WhenAny(Task.WhenAny(load), Task.Delay(every)); // the sampling period, or a loop that failed
                samples.Add((clock.Elapsed, ForcedHeap(), Environment.WorkingSet));
            }

            run.Stop();
            await Task.WhenAll(load).WaitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine($"{run.Describe()} in {clock.Elapsed.TotalSeconds:0} s");
            output.WriteLine(string.Join(Environment.NewLine, samples.Select(s => $"{s.At.TotalSeconds,6:0.0} s heap {s.Heap / 1024,8} KiB rss {s.Rss / 1024 / 1024,5} MiB")));

            Assert.Empty(run.Violations);
            Assert.True(run.StableAnswers > 1000, run.Describe());
            Assert.True(run.Joined >= 2 && run.Broadcasts > 0 && run.MessagesReceived > 0, run.Describe());
            AssertFlat(samples);
        }

        // Every node is disposed: every block and buffer rented during the run is back, none twice.
        // The wait covers a connection still closing gracefully: drain timeout and close linger. On a
        // timeout the failure lists where the blocks still out were rented (diagnostics mode keeps it).
        var connectionDefaults = new PeerConnectionOptions();
        await Eventually.TrueAsync(
            () => BlockMemoryPool.Shared.Counters.Outstanding == blocksAtStart && PooledBuffer.Counters.Outstanding == buffersAtStart,
            () => $"every pooled block and buffer was returned (blocks {BlockMemoryPool.Shared.Counters}, buffers {PooledBuffer.Counters}; " +
                $"at start {blocksAtStart} and {buffersAtStart} outstanding){Environment.NewLine}" +
                string.Join(Environment.NewLine, [.. BlockMemoryPool.Shared.DescribeOutstanding(), .. PooledBuffer.Counters.DoubleReturnStacks]),
            connectionDefaults.DrainTimeout + connectionDefaults.CloseLinger + TimeSpan.FromSeconds(5));
        output.WriteLine($"blocks: {BlockMemoryPool.Shared.Counters}; buffers: {PooledBuffer.Counters}");
        Assert.Equal(blockDoubles, BlockMemoryPool.Shared.Counters.DoubleReturns);
        Assert.True(bufferDoubles == PooledBuffer.Counters.DoubleReturns, string.Join(Environment.NewLine, PooledBuffer.Counters.DoubleReturnStacks));
    }

    private static ValueTask Echo(PeerRequest request, CancellationToken cancellationToken)
    {
        request.Response.Write(request.Payload.Span);
        return ValueTask.CompletedTask;
    }

    private static async Task RequestLoopAsync(SoakRun run, int worker)
    {
        var random = new Random(worker);
        while (!run.Stopping)
        {
            (PeerNode from, PeerNode to) = run.PickPair(random);
            byte[] payload = new byte[Sizes[random.Next(Sizes.Length)]];
            random.NextBytes(payload);
            bool stable = StableIds.Contains(to.Id) && StableIds.Contains(from.Id);
            try
            {
                using PooledPayload answer = await from.RequestAsync(to.Id, payload);
                if (!answer.Span.SequenceEqual(payload))
                {
                    run.Violation($"{from.Id} -> {to.Id}: a wrong answer to a request of {payload.Length} bytes");
                }

                run.Answered(stable);
            }
            catch (Exception e) when (!stable && e is PeerException or TimeoutException or InvalidOperationException)
            {
                // A peer that is leaving, or a node stopped under the request (InvalidOperationException:
                // not running): expected while peers come and go.
                run.Failed();
            }
            catch (Exception e)
            {
                run.Violation($"{from.Id} -> {to.Id}: {e.GetType().Name}: {e.Message}");
            }
        }
    }

    private static async Task MessageLoopAsync(SoakRun run, int worker)
    {
        var random = new Random(100 + worker);
        while (!run.Stopping)
        {
            (PeerNode from, PeerNode to) = run.PickPair(random);
            try
            {
                await from.SendAsync(to.Id, new byte[random.Next(1, 5000)]);
                Interlocked.Increment(ref run.Messages);
            }
            catch (Exception e) when (e is PeerException or InvalidOperationException)
            {
                run.Failed();
            }

            await Task.Delay(1); // the message rate of the workload: about one per millisecond and worker
        }
    }

    private static async Task BroadcastLoopAsync(SoakRun run)
    {
        var random = new Random(200);
        while (!run.Stopping)
        {
            PeerNode from = run.Live[StableIds[random.Next(StableIds.Length)]];
            BroadcastResult result = await from.BroadcastAsync(new byte[random.Next(1, 2000)]);
            Interlocked.Add(ref run.Broadcasts, result.Delivered);
            await Task.Delay(20); // the broadcast rate of the workload
        }
    }

    /// <summary>A transient peer every ~2 s: joins, takes part in the load, then leaves, gracefully or abruptly in turn.</summary>
    private static async Task ChurnLoopAsync(SoakRun run, NodeCluster cluster)
    {
        for (int n = 0; !run.Stopping; n++)
        {
            string id = $"soak-t{n}";
            PeerNode node = await run.StartNodeAsync(id, cluster);
            run.Live[id] = node;
            Interlocked.Increment(ref run.Joined);
            await Task.Delay(TimeSpan.FromSeconds(2)); // the peer's lifetime in the workload
            run.Live.TryRemove(id, out _);
            if (n % 2 == 0)
            {
                await node.StopAsync();
            }

            await node.DisposeAsync();
            run.Started.TryRemove(node, out _);
        }
    }

    private static long ForcedHeap()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: false);
    }

    private static void AssertFlat(List<(TimeSpan At, long Heap, long Rss)> samples)
    {
        int third = samples.Count / 3;
        Assert.True(third >= 3, $"only {samples.Count} memory samples");
        long first = Median(samples.Take(third).Select(s => s.Heap));
        long last = Median(samples.Skip(samples.Count - third).Select(s => s.Heap));
        Assert.True(last <= first + (first / 10) + HeapSlack, $"the heap grew from {first / 1024} KiB to {last / 1024} KiB");
        long firstRss = Median(samples.Take(third).Select(s => s.Rss));
        long lastRss = Median(samples.Skip(samples.Count - third).Select(s => s.Rss));
        Assert.True(lastRss <= firstRss + (firstRss / 4) + (64L * 1024 * 1024), $"RSS grew from {firstRss / 1024 / 1024} MiB to {lastRss / 1024 / 1024} MiB");
    }

    private static long Median(IEnumerable<long> values)
    {
        long[] sorted = [.. values.Order()];
        return sorted[sorted.Length / 2];
    }

    /// <summary>The live nodes and what the load saw; disposing it disposes every node it started.</summary>
    private sealed class SoakRun : IAsyncDisposable
    {
        public readonly ConcurrentDictionary<string, PeerNode> Live = new(StringComparer.Ordinal);
        public readonly ConcurrentDictionary<PeerNode, bool> Started = new();
        public long Messages;
        public long MessagesReceived;
        public long Broadcasts;
        public long Joined;
        private readonly ConcurrentQueue<string> _violations = new();
        private long _stableAnswers;
        private long _answers;
        private long _failures;
        private volatile bool _stopping;

        public bool Stopping => _stopping;

        public long StableAnswers => Interlocked.Read(ref _stableAnswers);

        public IReadOnlyList<string> Violations => [.. _violations.Take(20)];

        public void Stop() => _stopping = true;

        public async Task<PeerNode> StartNodeAsync(string id, NodeCluster cluster)
        {
            var options = new PeerNodeOptions { NodeId = id, Registry = cluster.RegistryOptions() };
            options.Connections.RequestTimeout = TimeSpan.FromSeconds(10);
            var node = new PeerNode(options)
            {
                RequestHandler = Echo,
                MessageHandler = (message, _) =>
                {
                    Interlocked.Increment(ref MessagesReceived);
                    return ValueTask.CompletedTask;
                },
            };
            Started[node] = true;
            await node.StartAsync();
            return node;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (PeerNode node in Started.Keys)
            {
                await node.DisposeAsync();
            }
        }

        public (PeerNode From, PeerNode To) PickPair(Random random)
        {
            PeerNode[] nodes = [.. Live.Values];
            PeerNode from = nodes[random.Next(nodes.Length)];
            PeerNode to = nodes[random.Next(nodes.Length)];
            return to == from ? (from, nodes[(Array.IndexOf(nodes, from) + 1) % nodes.Length]) : (from, to);
        }

        public void Answered(bool stable)
        {
            Interlocked.Increment(ref _answers);
            if (stable)
            {
                Interlocked.Increment(ref _stableAnswers);
            }
        }

        public void Failed() => Interlocked.Increment(ref _failures);

        public void Violation(string what) => _violations.Enqueue(what);

        public string Describe() =>
            $"{_answers} answers ({StableAnswers} between stable nodes), {_failures} typed failures to leaving peers, " +
            $"{Messages} messages sent and {MessagesReceived} received, {Broadcasts} broadcast deliveries, {Joined} peers joined and left, {_violations.Count} violations";
    }
}
