using System.Text;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Framing;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Connections;

/// <summary><see cref="PeerConnectionOptions.InlineHandlers"/>: handlers started on the receive loop.</summary>
public sealed class InlineHandlerTests
{
    private static PeerConnectionOptions Inline() => new() { InlineHandlers = true };

    public static TheoryData<bool> Transports => new() { false, true };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Pipelined_requests_are_answered_byte_for_byte(bool unix)
    {
        await using var harness = new ConnectionHarness(Inline());
        PeerListener listener = harness.Listen(Handlers.Echo, unix: unix);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        await Task.WhenAll(Enumerable.Range(0, 2_000).Select(async i =>
        {
            byte[] payload = Encoding.UTF8.GetBytes($"request {i}");
            using PooledPayload response = await client.RequestAsync(payload);
            Assert.Equal(payload, response.ToArray());
        }));
    }

    [Fact]
    public async Task Large_payloads_are_echoed_in_memory()
    {
        await using var harness = new ConnectionHarness(Inline());
        (PeerConnection client, _) = await harness.InMemoryAsync(Handlers.Echo);
        byte[] payload = new byte[256 * 1024];
        new Random(7).NextBytes(payload);

        using PooledPayload response = await client.RequestAsync(payload);

        Assert.Equal(payload, response.ToArray());
    }

    [Fact]
    public async Task A_handler_that_awaits_does_not_hold_up_the_requests_behind_it()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        RequestHandler handler = async (request, cancellationToken) =>
        {
            if (request.Payload.Span.SequenceEqual("wait"u8))
            {
                await gate.Task.WaitAsync(cancellationToken);
            }

            await Handlers.Echo(request, cancellationToken);
        };
        await using var harness = new ConnectionHarness(Inline());
        PeerListener listener = harness.Listen(handler);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        ValueTask<PooledPayload> waiting = client.RequestAsync("wait"u8.ToArray());
        using (PooledPayload quick = await client.RequestAsync("quick"u8.ToArray()).AsTask().WaitAsync(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal("quick", Encoding.UTF8.GetString(quick.Span));
        }

        Assert.False(waiting.IsCompleted);
        gate.SetResult();
        using PooledPayload waited = await waiting.AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("wait", Encoding.UTF8.GetString(waited.Span));
    }

    [Fact]
    public async Task A_throwing_handler_still_answers_error_5()
    {
        await using var harness = new ConnectionHarness(Inline());
        PeerListener listener = harness.Listen(Handlers.Throwing);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        var error = await Assert.ThrowsAsync<PeerErrorException>(async () => await client.RequestAsync("x"u8.ToArray()));

        Assert.Equal(ErrorCode.HandlerFailed, error.Code);
        Assert.True(client.IsUsable);
        var again = await Assert.ThrowsAsync<PeerErrorException>(async () => await client.RequestAsync("y"u8.ToArray()));
        Assert.Equal(ErrorCode.HandlerFailed, again.Code);
    }

    [Fact]
    public async Task A_message_reaches_the_message_handler()
    {
        var received = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = new ConnectionHarness(Inline());
        PeerListener listener = harness.Listen(onMessage: (message, _) =>
        {
            received.TrySetResult(Encoding.UTF8.GetString(message.Payload.Span));
            return ValueTask.CompletedTask;
        });
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        await client.SendMessageAsync("inline"u8.ToArray());

        Assert.Equal("inline", await received.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }
}
