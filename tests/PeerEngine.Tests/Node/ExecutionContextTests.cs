using System.Collections.Concurrent;
using PeerEngine.Node;
using PeerEngine.Registry;

namespace PeerEngine.Tests.Node;

/// <summary>
/// A node lives longer than the call that starts it: its loops and timers must not keep that caller's
/// execution context (AsyncLocals, logging scopes, the current span) and hand it to application code.
/// </summary>
public sealed class ExecutionContextTests
{
    private static readonly AsyncLocal<string?> Ambient = new();

    [Fact]
    public async Task A_node_started_inside_a_callers_context_keeps_none_of_it_for_its_events_and_timers()
    {
        await using var cluster = new NodeCluster();
        var time = new RecordingTimeProvider();
        var joined = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new PeerNodeOptions { NodeId = "starter", Registry = cluster.RegistryOptions() };
        await using var node = new PeerNode(options, timeProvider: time);
        node.PeerJoined += (_, peer) =>
        {
            if (peer.Id == "other")
            {
                joined.TrySetResult(Ambient.Value);
            }
        };

        Ambient.Value = "the starter's";
        await node.StartAsync();
        Ambient.Value = null;
        await cluster.StartAsync("other");

        Assert.Null(await joined.Task.WaitAsync(TimeSpan.FromSeconds(10)));

        // Periodic timers live as long as the node: the connection heartbeat, the pool health check,
        // the registry heartbeat. (One-shot timers behind timeouts end with their operation.)
        (bool FlowSuppressed, TimeSpan Period)[] periodic = [.. time.Created.Where(t => t.Period != Timeout.InfiniteTimeSpan)];
        Assert.True(periodic.Length >= 3, $"{periodic.Length} periodic timers");
        Assert.All(periodic, timer => Assert.True(timer.FlowSuppressed));
    }

    /// <summary>The system clock, noting for each timer made whether the execution context was flowing.</summary>
    private sealed class RecordingTimeProvider : TimeProvider
    {
        public ConcurrentQueue<(bool FlowSuppressed, TimeSpan Period)> Created { get; } = new();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Created.Enqueue((ExecutionContext.IsFlowSuppressed(), period));
            return System.CreateTimer(callback, state, dueTime, period);
        }
    }
}
