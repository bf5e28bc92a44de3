using System.Buffers;
using System.Diagnostics;
using PeerEngine.Buffers;
using PeerEngine.Node;
using PeerEngine.Tests.Connections;
using PeerEngine.Tests.Node;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Diagnostics;

/// <summary>
/// Spans on both sides, in one process with an <see cref="ActivityListener"/>: the server span is the
/// child of the client span across the wire (protocol version 2), current in the handler, and the
/// handler's own calls nest under it; messages and broadcasts likewise.
/// </summary>
public sealed class SpanTests
{
    [Fact]
    public async Task A_request_makes_a_client_span_and_a_server_span_under_it_current_in_the_handler()
    {
        using var spans = new SpanRecorder();
        await using var cluster = new NodeCluster();
        Activity? inHandler = null;
        PeerNode server = await cluster.StartAsync("server", handler: (request, _) =>
        {
            inHandler = Activity.Current;
            request.Response.Write(request.Payload.Span);
            return ValueTask.CompletedTask;
        });
        PeerNode client = await cluster.StartAsync("client");
        await NodeCluster.SeeEachOtherAsync(client, server);

        ActivityTraceId traceId;
        using (Activity root = SpanRecorder.TestSource.StartActivity("test")!)
        {
            traceId = root.TraceId;
            using PooledPayload answer = await client.RequestAsync("server", "traced"u8.ToArray());
            Assert.Equal("traced"u8.ToArray(), answer.ToArray());
        }

        IReadOnlyList<Activity> trace = await spans.WaitForAsync(traceId, 2);
        Activity clientSpan = Assert.Single(trace, a => a.Kind == ActivityKind.Client);
        Activity serverSpan = Assert.Single(trace, a => a.Kind == ActivityKind.Server);
        Assert.Equal(clientSpan.SpanId, serverSpan.ParentSpanId);
        Assert.True(serverSpan.HasRemoteParent);
        Assert.Same(serverSpan, inHandler);
        Assert.Equal(PeerEngineActivities.SystemName, serverSpan.GetTagItem("rpc.system.name"));
        Assert.Equal("client", serverSpan.GetTagItem("peerengine.peer.id"));
        Assert.Equal("server", clientSpan.GetTagItem("peerengine.peer.id"));
        Assert.Equal(ActivityStatusCode.Unset, serverSpan.Status);
    }

    [Fact]
    public async Task A_handler_that_calls_on_nests_its_call_under_its_server_span_and_a_failure_marks_the_span()
    {
        using var spans = new SpanRecorder();
        await using var cluster = new NodeCluster();
        PeerNode back = await cluster.StartAsync("back", handler: (_, _) => throw new InvalidOperationException("no"));
        PeerNode? front = null;
        front = await cluster.StartAsync("front", handler: async (request, ct) =>
        {
            try
            {
                using PooledPayload _ = await front!.RequestAsync("back", request.Payload, cancellationToken: ct);
            }
            catch (PeerErrorException)
            {
                request.Response.Write("back failed"u8);
            }
        });
        PeerNode client = await cluster.StartAsync("client");
        await NodeCluster.SeeEachOtherAsync(client, front, back);

        ActivityTraceId traceId;
        using (Activity root = SpanRecorder.TestSource.StartActivity("test")!)
        {
            traceId = root.TraceId;
            using PooledPayload answer = await client.RequestAsync("front", "x"u8.ToArray());
        }

        IReadOnlyList<Activity> trace = await spans.WaitForAsync(traceId, 4);
        Activity first = Assert.Single(trace, a => a.Kind == ActivityKind.Client && Equals(a.GetTagItem("peerengine.peer.id"), "front"));
        Activity frontServer = Assert.Single(trace, a => a.Kind == ActivityKind.Server && a.ParentSpanId == first.SpanId);
        Activity onward = Assert.Single(trace, a => a.Kind == ActivityKind.Client && a.ParentSpanId == frontServer.SpanId);
        Activity backServer = Assert.Single(trace, a => a.Kind == ActivityKind.Server && a.ParentSpanId == onward.SpanId);
        Assert.Equal(ActivityStatusCode.Error, backServer.Status);
        Assert.Equal("5", backServer.GetTagItem("rpc.response.status_code"));
        Assert.Equal(ActivityStatusCode.Error, onward.Status);
        Assert.Equal(typeof(PeerErrorException).FullName, onward.GetTagItem("error.type"));
    }

    [Fact]
    public async Task A_message_makes_a_producer_span_and_a_consumer_span_under_it_and_a_broadcast_holds_its_sends()
    {
        using var spans = new SpanRecorder();
        await using var cluster = new NodeCluster();
        var processed = new TaskCompletionSource<Activity?>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new PeerNode(new PeerNodeOptions { NodeId = "server", Registry = cluster.RegistryOptions() })
        {
            MessageHandler = (_, _) =>
            {
                processed.TrySetResult(Activity.Current);
                return ValueTask.CompletedTask;
            },
        };
        await server.StartAsync();
        PeerNode client = await cluster.StartAsync("client");
        await NodeCluster.SeeEachOtherAsync(client, server);

        ActivityTraceId traceId;
        using (Activity root = SpanRecorder.TestSource.StartActivity("test")!)
        {
            traceId = root.TraceId;
            await client.SendAsync("server", "one-way"u8.ToArray());
        }

        Activity? current = await processed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        IReadOnlyList<Activity> trace = await spans.WaitForAsync(traceId, 2);
        Activity producer = Assert.Single(trace, a => a.Kind == ActivityKind.Producer);
        Activity consumer = Assert.Single(trace, a => a.Kind == ActivityKind.Consumer);
        Assert.Equal(producer.SpanId, consumer.ParentSpanId);
        Assert.Same(consumer, current);
        Assert.Equal("send", producer.DisplayName);
        Assert.Equal("process", consumer.GetTagItem("messaging.operation.type"));

        using (Activity root = SpanRecorder.TestSource.StartActivity("test")!)
        {
            traceId = root.TraceId;
            BroadcastResult result = await client.BroadcastAsync("all"u8.ToArray());
            Assert.Equal(1, result.Delivered);
        }

        trace = await spans.WaitForAsync(traceId, 3);
        Activity broadcast = Assert.Single(trace, a => a.DisplayName == "broadcast");
        Activity send = Assert.Single(trace, a => a.DisplayName == "send");
        Assert.Equal(broadcast.SpanId, send.ParentSpanId);
        Assert.Equal(1, broadcast.GetTagItem("messaging.batch.message_count"));
    }

    [Fact]
    public async Task A_received_context_parents_the_server_span_and_an_invalid_one_leaves_it_a_root()
    {
        using var spans = new SpanRecorder();
        await using var harness = new ConnectionHarness();
        PeerEngine.Connections.PeerListener listener = harness.Listen(Handlers.Echo);
        string peerId = "raw-" + Guid.NewGuid().ToString("n")[..8];
        await using RawPeer peer = await RawPeer.ConnectAsync(listener.EndPoint);
        await peer.SendAsync(HelloBytes.Version2(peerId));
        await peer.ReadFrameAsync();

        await peer.SendAsync(TraceBlockWireTests.Traced(PeerEngine.Framing.FrameKind.Request, 1, TraceBlockWireTests.Block(TraceBlockWireTests.ValidParent, "k=v"), "a"u8));
        await peer.ReadFrameAsync();
        await peer.SendAsync(TraceBlockWireTests.Traced(PeerEngine.Framing.FrameKind.Request, 2, TraceBlockWireTests.Block(TraceBlockWireTests.ValidParent.ToUpperInvariant(), ""), "b"u8));
        await peer.ReadFrameAsync();

        Activity child = (await spans.WaitForAsync(ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c"), 1))
            .Single(a => Equals(a.GetTagItem("peerengine.peer.id"), peerId));
        Assert.Equal("b7ad6b7169203331", child.ParentSpanId.ToHexString());
        Assert.Equal("k=v", child.TraceStateString);
        await Eventually.WaitUntilAsync(
            () => spans.All.Count(a => Equals(a.GetTagItem("peerengine.peer.id"), peerId)) == 2, TimeSpan.FromSeconds(10), "the second server span");
        Activity root = spans.All.Single(a => Equals(a.GetTagItem("peerengine.peer.id"), peerId) && a != child);
        Assert.Equal(default, root.ParentSpanId);
        Assert.NotEqual(child.TraceId, root.TraceId);
    }
}
