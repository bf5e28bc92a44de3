using PeerEngine.Buffers;
using PeerEngine.Connections;

namespace PeerEngine.Tests.Support;

/// <summary>
/// The graceful close every transport must carry the same way: five requests in flight, the client
/// says GOODBYE, a request after it fails at once, the five are still answered, then both sides close.
/// </summary>
internal static class GoodbyeDrain
{
    public static async Task DrainsThenBothSidesCloseAsync(ConnectionHarness harness, bool unix)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var started = new CountdownEvent(5);
        PeerListener listener = harness.Listen(
            async (request, ct) =>
            {
                started.Signal();
                await release.Task;
                await Handlers.Echo(request, ct);
            },
            unix: unix);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);
        Task<PooledPayload>[] inFlight = [.. Enumerable.Range(0, 5).Select(i => client.RequestAsync(new[] { (byte)i }).AsTask())];
        Assert.True(started.Wait(TimeSpan.FromSeconds(10)));
        PeerConnection server = Assert.Single(listener.Connections);

        Task closing = client.CloseAsync();
        await Assert.ThrowsAsync<ConnectionLostException>(async () => await client.RequestAsync("after goodbye"u8.ToArray()));
        release.SetResult();
        await closing.WaitAsync(TimeSpan.FromSeconds(10));

        for (int i = 0; i < inFlight.Length; i++)
        {
            using PooledPayload answer = await inFlight[i];
            Assert.Equal([(byte)i], answer.ToArray());
        }

        await server.Completion.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(ShutdownReason.LocalClose, client.ShutdownReason);
        Assert.Equal(ShutdownReason.PeerGoodbye, server.ShutdownReason);
    }
}
