using System.Net;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Transport;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Connections;

public sealed class AcceptLoopTests
{
    [Fact]
    public async Task An_accept_that_fails_unexpectedly_does_not_stop_the_listener()
    {
        await using var harness = new ConnectionHarness();
        (InMemoryConnection connecting, InMemoryConnection accepting) = InMemoryConnection.CreatePair();
        var flaky = new FailingOnceListener(accepting);
        var listener = new PeerListener(flaky, harness.Settings("server", Handlers.Echo), new PeerListenerOptions());
        listener.Start();
        await using PeerConnection client = harness.Settings("client").Create(connecting, ConnectionRole.Connecting);
        client.Start();

        await client.WaitForHandshakeAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        using PooledPayload answer = await client.RequestAsync("after a failed accept"u8.ToArray());

        Assert.Equal("after a failed accept"u8.ToArray(), answer.ToArray());
        Assert.Equal(1, flaky.Failures);
        await listener.DisposeAsync();
    }

    /// <summary>Fails its first accept as nothing expected would, then hands over one connection.</summary>
    private sealed class FailingOnceListener(TransportConnection connection) : IConnectionListener
    {
        private int _accepts;

        public int Failures { get; private set; }

        public EndPoint EndPoint { get; } = new IPEndPoint(IPAddress.Loopback, 1);

        public async ValueTask<TransportConnection?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            switch (++_accepts)
            {
                case 1:
                    Failures++;
                    throw new InvalidOperationException("an accept failed as nothing expected would");
                case 2:
                    return connection;
                default:
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    return null;
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
