using System.Collections.Concurrent;
using PeerEngine.Buffers;
using PeerEngine.Connections;

namespace PeerEngine.Tests.Support;

/// <summary>
/// An echo handler that blocks its thread on a request whose first byte is 1 (as careless handlers
/// do) until released, and records the threads it ran on.
/// </summary>
internal sealed class BlockingHandler : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly ManualResetEventSlim _blocking = new();
    private readonly ManualResetEventSlim _release = new();

    public BlockingHandler() => Handle = (request, cancellationToken) =>
    {
        RanOn.Add(Environment.CurrentManagedThreadId);
        if (request.Payload.Span[0] == 1)
        {
            _blocking.Set();
            _release.Wait(cancellationToken);
        }

        return Handlers.Echo(request, cancellationToken);
    };

    public RequestHandler Handle { get; }

    /// <summary>The managed thread ids the handler ran on.</summary>
    public ConcurrentBag<int> RanOn { get; } = [];

    /// <summary>
    /// Blocks a handler with a request on <paramref name="blocked"/>, asserts that a request on
    /// <paramref name="other"/> is answered meanwhile, then releases it and asserts its answer.
    /// </summary>
    public async Task AssertOtherIsAnsweredWhileBlockedAsync(PeerConnection blocked, PeerConnection other)
    {
        ValueTask<PooledPayload> waiting = blocked.RequestAsync(new byte[] { 1 });
        Assert.True(_blocking.Wait(Patience));
        try
        {
            using PooledPayload answer = await other.RequestAsync(new byte[] { 2 }).AsTask().WaitAsync(Patience);
            Assert.Equal([2], answer.ToArray());
        }
        finally
        {
            _release.Set();
        }

        using PooledPayload released = await waiting.AsTask().WaitAsync(Patience);
        Assert.Equal([1], released.ToArray());
    }

    public void Dispose()
    {
        _release.Set();
        _blocking.Dispose();
        _release.Dispose();
    }
}
