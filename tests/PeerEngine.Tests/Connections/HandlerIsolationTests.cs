using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Connections;

/// <summary>What a handler cannot do to its connection, and what it cannot inherit from it.</summary>
public sealed class HandlerIsolationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly AsyncLocal<string?> Ambient = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Without_inline_handlers_a_blocking_handler_does_not_stop_the_connection_from_answering_later_requests(bool unix)
    {
        using var handler = new BlockingHandler();
        await using var harness = new ConnectionHarness(new PeerConnectionOptions { InlineHandlers = false });
        PeerListener listener = harness.Listen(handler.Handle, unix: unix);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        await handler.AssertOtherIsAnsweredWhileBlockedAsync(client, client);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_handler_does_not_see_the_execution_context_of_whoever_opened_the_connection(bool inlineHandlers)
    {
        // The connection opened inside a caller's context (a request's span, its AsyncLocals) must
        // not carry that context for its life into the handlers of the requests it receives.
        string? seen = "not run";
        RequestHandler clientHandler = (request, _) =>
        {
            seen = Ambient.Value;
            return ValueTask.CompletedTask;
        };
        await using var harness = new ConnectionHarness(new PeerConnectionOptions { InlineHandlers = inlineHandlers });
        PeerListener listener = harness.Listen(Handlers.Echo);
        Ambient.Value = "the opener's";
        await harness.ConnectAsync(listener.EndPoint, clientHandler);
        Ambient.Value = null;
        PeerConnection server = Assert.Single(listener.Connections);

        using PooledPayload answer = await server.RequestAsync(new byte[] { 1 }).AsTask().WaitAsync(Patience);

        Assert.Null(seen);
    }
}
