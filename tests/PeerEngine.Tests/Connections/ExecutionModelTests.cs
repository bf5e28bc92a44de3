using System.Buffers;
using System.Collections.Concurrent;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Framing;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Connections;

/// <summary>
/// Where handlers run (<see cref="PeerConnectionOptions.InlineHandlers"/>, on by default, and off for
/// handlers that block) and what each model promises: order, concurrency, cancellation, failures,
/// isolation between connections, and the payload's lifetime.
/// </summary>
public sealed class ExecutionModelTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static TheoryData<bool> BothModels => new() { true, false };

    private static PeerConnectionOptions Model(bool inlineHandlers) => new() { InlineHandlers = inlineHandlers };

    [Fact]
    public void Handlers_run_in_the_receive_loop_by_default()
    {
        Assert.True(new PeerConnectionOptions().InlineHandlers);
    }

    [Fact]
    public async Task Messages_are_handled_in_the_order_they_were_sent()
    {
        // In the receive loop, each handler that completes synchronously completes before the next
        // frame is looked at. (Handed to the pool, two receives' batches may run at once.)
        const int Count = 2_000;
        var handled = new ConcurrentQueue<int>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        MessageHandler onMessage = (message, _) =>
        {
            handled.Enqueue(BitConverter.ToInt32(message.Payload.Span));
            if (handled.Count == Count)
            {
                all.TrySetResult();
            }

            return ValueTask.CompletedTask;
        };
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(onMessage: onMessage);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        for (int i = 0; i < Count; i++)
        {
            await client.SendMessageAsync(BitConverter.GetBytes(i));
        }

        await all.Task.WaitAsync(Patience);
        Assert.Equal(Enumerable.Range(0, Count), handled);
    }

    [Theory]
    [MemberData(nameof(BothModels))]
    public async Task Handlers_that_await_run_concurrently_and_answer_in_completion_order(bool inlineHandlers)
    {
        const int Waiting = 8;
        int started = 0;
        var allStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        RequestHandler handler = async (request, cancellationToken) =>
        {
            if (request.Payload.Span[0] == 0)
            {
                if (Interlocked.Increment(ref started) == Waiting)
                {
                    allStarted.TrySetResult();
                }

                await gate.Task.WaitAsync(cancellationToken);
            }

            await Handlers.Echo(request, cancellationToken);
        };
        await using var harness = new ConnectionHarness(Model(inlineHandlers));
        PeerListener listener = harness.Listen(handler);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        ValueTask<PooledPayload>[] waiting = Enumerable.Range(0, Waiting).Select(i => client.RequestAsync(new byte[] { 0, (byte)i })).ToArray();
        await allStarted.Task.WaitAsync(Patience); // all eight are in their handlers at once
        using (PooledPayload quick = await client.RequestAsync(new byte[] { 1 }).AsTask().WaitAsync(Patience))
        {
            Assert.Equal([1], quick.ToArray());
        }

        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        gate.SetResult();
        for (int i = 0; i < Waiting; i++)
        {
            using PooledPayload answer = await waiting[i].AsTask().WaitAsync(Patience);
            Assert.Equal([0, (byte)i], answer.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(BothModels))]
    public async Task A_handler_is_cancelled_when_its_connection_ends(bool inlineHandlers)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        RequestHandler handler = async (_, cancellationToken) =>
        {
            entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult();
                throw;
            }
        };
        await using var harness = new ConnectionHarness(Model(inlineHandlers));
        PeerListener listener = harness.Listen(handler);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        ValueTask<PooledPayload> pending = client.RequestAsync(new byte[] { 1 });
        await entered.Task.WaitAsync(Patience);
        client.Abort();

        await cancelled.Task.WaitAsync(Patience);
        await Assert.ThrowsAsync<ConnectionLostException>(async () => await pending);
    }

    [Theory]
    [MemberData(nameof(BothModels))]
    public async Task A_throwing_handler_answers_error_5_and_the_next_request_is_handled(bool inlineHandlers)
    {
        RequestHandler handler = (request, cancellationToken) =>
            request.Payload.Span[0] == 0 ? throw new InvalidOperationException("secret internal detail") : Handlers.Echo(request, cancellationToken);
        await using var harness = new ConnectionHarness(Model(inlineHandlers));
        PeerListener listener = harness.Listen(handler);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        var error = await Assert.ThrowsAsync<PeerErrorException>(async () => await client.RequestAsync(new byte[] { 0 }));
        using PooledPayload next = await client.RequestAsync(new byte[] { 1 }).AsTask().WaitAsync(Patience);

        Assert.Equal(ErrorCode.HandlerFailed, error.Code);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
        Assert.Equal([1], next.ToArray());
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public async Task A_blocking_handler_does_not_delay_another_connection(bool inlineHandlers, bool unix)
    {
        using var handler = new BlockingHandler();
        await using var harness = new ConnectionHarness(Model(inlineHandlers));
        PeerListener listener = harness.Listen(handler.Handle, unix: unix);
        PeerConnection first = await harness.ConnectAsync(listener.EndPoint);
        PeerConnection second = await harness.ConnectAsync(listener.EndPoint);

        await handler.AssertOtherIsAnsweredWhileBlockedAsync(first, second);
    }

    [Theory]
    [MemberData(nameof(BothModels))]
    public async Task Handlers_never_run_on_a_receive_thread_that_serves_every_connection(bool inlineHandlers)
    {
        // Two connections whose receives complete on one shared thread, as with inline socket
        // completions: a handler that blocked there would stall the other connection too.
        using var engine = new SingleThreadScheduler();
        using var handler = new BlockingHandler();
        await using var harness = new ConnectionHarness(Model(inlineHandlers));
        (PeerConnection first, _) = await harness.InMemoryAsync(handler.Handle, serverReceiveScheduler: engine);
        (PeerConnection second, _) = await harness.InMemoryAsync(handler.Handle, serverReceiveScheduler: engine);

        await handler.AssertOtherIsAnsweredWhileBlockedAsync(first, second);

        Assert.DoesNotContain(engine.ManagedThreadId, handler.RanOn);
    }

    [Theory]
    [MemberData(nameof(BothModels))]
    public async Task A_handler_that_yields_reads_its_own_payload_after_the_receive_buffer_is_reused(bool inlineHandlers)
    {
        const int Behind = 500;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        RequestHandler handler = async (request, cancellationToken) =>
        {
            if (request.Payload.Span[0] == 0)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }

            await Handlers.Echo(request, cancellationToken);
        };
        await using var harness = new ConnectionHarness(Model(inlineHandlers));
        PeerListener listener = harness.Listen(handler);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);
        byte[] kept = Enumerable.Range(0, 100).Select(i => (byte)(i == 0 ? 0 : 0xAA)).ToArray();

        ValueTask<PooledPayload> waiting = client.RequestAsync(kept);
        await Task.WhenAll(Enumerable.Range(0, Behind).Select(async i =>
        {
            // Enough bytes behind it that the receive blocks the first payload lay in are reused.
            byte[] payload = Enumerable.Repeat((byte)(1 + (i % 250)), 100).ToArray();
            using PooledPayload answer = await client.RequestAsync(payload);
            Assert.Equal(payload, answer.ToArray());
        })).WaitAsync(Patience);
        gate.SetResult();

        using PooledPayload echoed = await waiting.AsTask().WaitAsync(Patience);
        Assert.Equal(kept, echoed.ToArray());
    }

    [Fact]
    public async Task A_handler_reads_its_payload_from_another_thread_while_it_runs_synchronously()
    {
        RequestHandler handler = (request, cancellationToken) =>
        {
            // Off the receive loop's thread the lent payload is copied on first read; the handler
            // blocks for it, so the receive stays unreleased meanwhile.
            byte[] read = Task.Run(() => request.Payload.ToArray(), cancellationToken).GetAwaiter().GetResult();
            request.Response.Write(read);
            return ValueTask.CompletedTask;
        };
        await using var harness = new ConnectionHarness();
        PeerListener listener = harness.Listen(handler);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            byte[] payload = Enumerable.Repeat((byte)i, 1 + i).ToArray();
            using PooledPayload answer = await client.RequestAsync(payload);
            Assert.Equal(payload, answer.ToArray());
        })).WaitAsync(Patience);
    }

    [Fact]
    public async Task A_payload_that_spans_receive_blocks_is_whole()
    {
        // Delivered 1,000 bytes at a time, a 20 KB payload lies in several blocks of the receive pipe.
        await using var harness = new ConnectionHarness();
        (PeerConnection client, _) = await harness.InMemoryAsync(Handlers.Echo, clientFaults: new LinkFaults { ChunkSize = 1_000 });
        byte[] payload = new byte[20_000];
        new Random(11).NextBytes(payload);

        using PooledPayload answer = await client.RequestAsync(payload).AsTask().WaitAsync(Patience);

        Assert.Equal(payload, answer.ToArray());
    }

    [Fact]
    public async Task A_payload_that_spans_receive_blocks_is_lent_in_its_pieces_until_the_handler_yields()
    {
        bool lentInPieces = false, keptWhole = false;
        RequestHandler handler = async (request, cancellationToken) =>
        {
            ReadOnlySequence<byte> lent = request.PayloadSequence;
            lentInPieces = !lent.IsSingleSegment;
            byte[] read = lent.ToArray();
            await Task.Yield();

            // After the yield the receive buffer may be reused: the sequence is the kept copy.
            ReadOnlySequence<byte> kept = request.PayloadSequence;
            keptWhole = kept.IsSingleSegment && kept.ToArray().AsSpan().SequenceEqual(read);
            foreach (ReadOnlyMemory<byte> piece in kept)
            {
                request.Response.Write(piece.Span);
            }
        };
        await using var harness = new ConnectionHarness();
        (PeerConnection client, _) = await harness.InMemoryAsync(handler, clientFaults: new LinkFaults { ChunkSize = 1_000 });
        byte[] payload = new byte[20_000];
        new Random(12).NextBytes(payload);

        using PooledPayload answer = await client.RequestAsync(payload).AsTask().WaitAsync(Patience);

        Assert.Equal(payload, answer.ToArray());
        Assert.True(lentInPieces, "the payload was copied into one piece before the handler read it");
        Assert.True(keptWhole, "after the yield the payload was not the whole kept copy");
    }

    [Fact]
    public async Task A_message_payload_is_lent_as_a_sequence_too()
    {
        var received = new TaskCompletionSource<(bool InPieces, byte[] Bytes)>(TaskCreationOptions.RunContinuationsAsynchronously);
        MessageHandler handler = (message, _) =>
        {
            received.TrySetResult((!message.PayloadSequence.IsSingleSegment, message.PayloadSequence.ToArray()));
            return ValueTask.CompletedTask;
        };
        await using var harness = new ConnectionHarness();
        (PeerConnection client, _) = await harness.InMemoryAsync(Handlers.Echo, handler, clientFaults: new LinkFaults { ChunkSize = 1_000 });
        byte[] payload = new byte[20_000];
        new Random(13).NextBytes(payload);

        await client.SendMessageAsync(payload).AsTask().WaitAsync(Patience);
        (bool inPieces, byte[] bytes) = await received.Task.WaitAsync(Patience);

        Assert.Equal(payload, bytes);
        Assert.True(inPieces, "the message's payload was copied into one piece before the handler read it");
    }
}
