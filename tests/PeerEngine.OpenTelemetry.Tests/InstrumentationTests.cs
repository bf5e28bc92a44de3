using System.Diagnostics;
using System.Net;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace PeerEngine.OpenTelemetry.Tests;

/// <summary>
/// Two nodes in one process, their spans and metrics exported by the OpenTelemetry SDK's in-memory
/// exporter through <c>AddPeerEngineInstrumentation()</c>: one trace, the server span under the client span.
/// </summary>
public sealed class InstrumentationTests
{
    [Fact]
    public async Task Two_nodes_export_one_trace_with_the_server_span_under_the_client_span_and_both_durations()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using (TracerProvider tracing = Sdk.CreateTracerProviderBuilder().AddPeerEngineInstrumentation().AddInMemoryExporter(spans).Build())
        using (MeterProvider meters = Sdk.CreateMeterProviderBuilder().AddPeerEngineInstrumentation().AddInMemoryExporter(metrics).Build())
        {
            await using var server = new PeerNode(new PeerNodeOptions { NodeId = "otel-server", Discover = false })
            {
                RequestHandler = (request, _) =>
                {
                    request.Payload.Span.CopyTo(request.Response.GetSpan(request.Payload.Length));
                    request.Response.Advance(request.Payload.Length);
                    return ValueTask.CompletedTask;
                },
            };
            await server.StartAsync();
            await using var client = new PeerNode(new PeerNodeOptions { NodeId = "otel-client", Listen = false, Discover = false });
            await client.StartAsync();

            using (PooledPayload answer = await client.RequestAsync(PeerAddress.FromEndPoint((IPEndPoint)server.TcpEndPoint!), "otel"u8.ToArray()))
            {
                Assert.Equal("otel"u8.ToArray(), answer.ToArray());
            }

            // The server span ends once its answer is written, which may be just after the client has it;
            // a node stops once its work is done, so every span has ended after this.
            await client.DisposeAsync();
            await server.DisposeAsync();
            Assert.True(tracing.ForceFlush());
            Assert.True(meters.ForceFlush());
        }

        Activity clientSpan = Assert.Single(spans, s => s.Kind == ActivityKind.Client);
        Activity serverSpan = Assert.Single(spans, s => s.Kind == ActivityKind.Server);
        Assert.Equal(clientSpan.TraceId, serverSpan.TraceId);
        Assert.Equal(clientSpan.SpanId, serverSpan.ParentSpanId);
        Assert.Equal(PeerEngineActivities.SourceName, serverSpan.Source.Name);
        Assert.Contains(metrics, m => m.Name == "peerengine.client.request.duration" && m.Unit == "s");
        Assert.Contains(metrics, m => m.Name == "peerengine.server.request.duration" && m.Unit == "s");
    }
}
