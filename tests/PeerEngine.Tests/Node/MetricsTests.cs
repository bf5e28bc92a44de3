using System.Buffers;
using System.Diagnostics.Metrics;
using PeerEngine.Buffers;
using PeerEngine.Diagnostics;
using PeerEngine.Framing;
using PeerEngine.Node;

namespace PeerEngine.Tests.Node;

/// <summary>The instruments, observed with a <see cref="MeterListener"/>, match the traffic exactly.</summary>
public sealed class MetricsTests
{
    [Fact]
    public async Task Frames_bytes_requests_and_errors_are_counted_exactly()
    {
        using var metrics = new PeerEngineMetrics();
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("client", metrics: metrics);
        PeerNode server = await cluster.StartAsync("server", handler: (request, _) =>
        {
            if (request.Payload.Span[0] == 0)
            {
                throw new InvalidOperationException("refused");
            }

            request.Response.Write(request.Payload.Span);
            return ValueTask.CompletedTask;
        });
        await NodeCluster.SeeEachOtherAsync(client, server);
        var recorded = new Dictionary<string, long>();
        var durations = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            lock (recorded)
            {
                string key = instrument.Name + string.Concat(tags.ToArray().Select(t => $"|{t.Key}={t.Value}"));
                recorded[key] = instrument is ObservableCounter<long> or ObservableUpDownCounter<long> ? value : recorded.GetValueOrDefault(key) + value;
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
        {
            lock (durations)
            {
                durations.Add(value);
            }
        });
        listener.Start();

        const int requests = 50;
        const int payload = 100;
        for (int i = 1; i <= requests; i++)
        {
            using PooledPayload answer = await client.RequestAsync("server", new byte[payload].Select(_ => (byte)i).ToArray());
        }

        await Assert.ThrowsAsync<PeerEngine.PeerErrorException>(async () => await client.RequestAsync("server", new byte[payload]));
        listener.RecordObservableInstruments();

        int helloLength = WireProtocol.HeaderSize + HelloPayload.GetLength("client", WireProtocol.Version2);
        int serverHelloLength = WireProtocol.HeaderSize + HelloPayload.GetLength("server", WireProtocol.Version2);
        long errorFrame = WireProtocol.HeaderSize + ErrorPayload.GetLength("the request handler failed");
        Assert.Equal(1 + requests + 1, recorded["peerengine.frames.sent"]);
        Assert.Equal(helloLength + ((requests + 1) * (WireProtocol.HeaderSize + payload)), recorded["peerengine.bytes.sent"]);
        Assert.Equal(1 + requests + 1, recorded["peerengine.frames.received"]);
        Assert.Equal(serverHelloLength + (requests * (WireProtocol.HeaderSize + payload)) + errorFrame, recorded["peerengine.bytes.received"]);
        Assert.Equal(1, recorded["peerengine.active_connections"]);
        Assert.Equal(1, recorded["peerengine.errors|error.code=5|direction=received"]);
        Assert.Equal(0, recorded["peerengine.requests.in_flight"]);
        Assert.Equal(requests + 1, durations.Count);
        Assert.All(durations, d => Assert.InRange(d, 0, 60));
    }
}
