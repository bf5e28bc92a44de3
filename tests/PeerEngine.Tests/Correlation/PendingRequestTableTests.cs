using System.Buffers;
using PeerEngine.Buffers;
using PeerEngine.Correlation;

namespace PeerEngine.Tests.Correlation;

/// <summary>Correlation without sockets: ids, answers, timeouts, cancellation, the end of a connection.</summary>
public sealed class PendingRequestTableTests
{
    private static PooledBuffer Payload(params byte[] bytes) => PooledBuffer.CopyOf(new ReadOnlySequence<byte>(bytes));

    [Fact]
    public void Ids_are_non_zero_and_unique_among_requests_in_flight()
    {
        var table = new PendingRequestTable();

        PendingRequest[] requests = [.. Enumerable.Range(0, 1000).Select(_ => table.TryAdd(Timeout.InfiniteTimeSpan, default)!)];

        Assert.DoesNotContain(requests, r => r.Id == 0);
        Assert.Equal(1000, requests.Select(r => r.Id).Distinct().Count());
        Assert.Equal(1000, table.Count);
    }

    [Fact]
    public async Task An_answer_completes_its_request_once()
    {
        var table = new PendingRequestTable();
        PendingRequest request = table.TryAdd(Timeout.InfiniteTimeSpan, default)!;
        uint id = request.Id;
        ValueTask<PooledPayload> completion = request.Completion;

        Assert.True(table.TryTake(id, out PendingRequest taken));
        taken.SetResult(Payload(1, 2, 3));

        using PooledPayload answer = await completion;
        Assert.Equal([1, 2, 3], answer.ToArray());
        Assert.False(table.TryTake(id, out _), "a second answer with the same id finds nothing");
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task A_timeout_fails_the_request_and_removes_it()
    {
        var observer = new CountingObserver();
        var table = new PendingRequestTable(observer);
        PendingRequest request = table.TryAdd(TimeSpan.FromMilliseconds(20), default)!;
        uint id = request.Id;

        var timeout = await Assert.ThrowsAsync<TimeoutException>(async () => await request.Completion);

        Assert.Contains("RequestTimeout", timeout.Message, StringComparison.Ordinal);
        Assert.False(table.TryTake(id, out _), "the late answer finds nothing and is ignored");
        Assert.Equal(1, observer.Timeouts);
    }

    [Fact]
    public async Task Cancellation_fails_the_request_with_the_callers_token()
    {
        var table = new PendingRequestTable();
        using var cancel = new CancellationTokenSource();
        PendingRequest request = table.TryAdd(Timeout.InfiniteTimeSpan, cancel.Token)!;

        await cancel.CancelAsync();

        var canceled = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await request.Completion);
        Assert.Equal(cancel.Token, canceled.CancellationToken);
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task An_already_cancelled_token_fails_the_request_at_once()
    {
        var table = new PendingRequestTable();

        PendingRequest request = table.TryAdd(Timeout.InfiniteTimeSpan, new CancellationToken(canceled: true))!;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await request.Completion);
    }

    [Fact]
    public async Task FailAll_fails_every_request_and_closes_the_table()
    {
        var observer = new CountingObserver();
        var table = new PendingRequestTable(observer);
        PendingRequest[] requests = [.. Enumerable.Range(0, 5).Select(_ => table.TryAdd(Timeout.InfiniteTimeSpan, default)!)];
        var lost = new IOException("gone");

        table.FailAll(lost);

        foreach (PendingRequest request in requests)
        {
            Assert.Same(lost, await Assert.ThrowsAsync<IOException>(async () => await request.Completion));
        }

        Assert.Null(table.TryAdd(Timeout.InfiniteTimeSpan, default));
        Assert.Equal(1, observer.Removals);
    }

    [Fact]
    public async Task An_answer_racing_a_timeout_completes_the_request_exactly_once()
    {
        var table = new PendingRequestTable();
        for (int round = 0; round < 500; round++)
        {
            PendingRequest request = table.TryAdd(TimeSpan.FromTicks(1 + round % 3 * 5000), default)!;
            uint id = request.Id;
            ValueTask<PooledPayload> completion = request.Completion;
            if (table.TryTake(id, out PendingRequest taken))
            {
                taken.SetResult(Payload(7));
            }

            try
            {
                using PooledPayload answer = await completion;
                Assert.Equal([7], answer.ToArray());
            }
            catch (TimeoutException)
            {
                // The timeout won this round; then the answer must have found nothing.
            }
        }

        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task A_recycled_request_serves_the_next_call_with_a_fresh_result()
    {
        var table = new PendingRequestTable();
        for (int i = 0; i < 100; i++)
        {
            PendingRequest request = table.TryAdd(TimeSpan.FromSeconds(30), default)!;
            ValueTask<PooledPayload> completion = request.Completion;
            table.TryTake(request.Id, out PendingRequest taken);
            taken.SetResult(Payload((byte)i));

            using PooledPayload answer = await completion;
            Assert.Equal([(byte)i], answer.ToArray());
        }
    }

    private sealed class CountingObserver : IPendingRequestObserver
    {
        private int _removals;

        public int Removals => Volatile.Read(ref _removals);

        private int _timeouts;

        public int Timeouts => Volatile.Read(ref _timeouts);

        public void OnRemoved() => Interlocked.Increment(ref _removals);

        public void OnTimedOut() => Interlocked.Increment(ref _timeouts);
    }
}
