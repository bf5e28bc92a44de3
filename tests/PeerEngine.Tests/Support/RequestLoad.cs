using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Node;

namespace PeerEngine.Tests.Support;

/// <summary>
/// Closed-loop request load from one node to an echoing peer, with a checker: every request must end
/// exactly once, with its own payload echoed back or a typed error (<see cref="PeerException"/> or
/// <see cref="TimeoutException"/>), within its timeout plus a grace; none may be left hanging.
/// </summary>
/// <remarks>
/// A completion delivered to the wrong request (a pooled completion source completed twice, an answer
/// matched to the wrong id) shows as a payload that is not the request's own, or as the
/// <see cref="InvalidOperationException"/> a reused completion source throws: both are violations.
/// Hold it with <c>await using</c>: a failed assertion then still stops the loops, which would
/// otherwise keep sending into the tests that run after it.
/// </remarks>
internal sealed class RequestLoad : IAsyncDisposable
{
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(10);

    private readonly PeerNode _node;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _bound;
    private readonly Task[] _workers;
    private readonly ConcurrentDictionary<long, Started> _inFlight = new();
    private readonly ConcurrentDictionary<string, long> _outcomes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Outcome, string Target), long> _outcomesByTarget = new();
    private readonly ConcurrentDictionary<string, TimeSpan> _firstSeen = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TimeSpan> _longest = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private volatile string _target;
    private volatile bool _stopping;
    private long _nextRequest;
    private long _slowest;

    /// <summary>Starts <paramref name="workers"/> loops, each sending its next request when the last one ended.</summary>
    public RequestLoad(PeerNode node, string target, int workers, TimeSpan timeout, TimeSpan grace)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(workers, 255);
        _node = node;
        _target = target;
        _timeout = timeout;
        _bound = timeout + grace;
        using (ExecutionContext.SuppressFlow())
        {
            _workers = [.. Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkAsync(w)))];
        }
    }

    /// <summary>The peer the next requests go to.</summary>
    public string Target
    {
        get => _target;
        set => _target = value;
    }

    /// <summary>Time since the load started, the clock of <see cref="FirstSeen"/>.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>The longest any request took to end.</summary>
    public TimeSpan Slowest => TimeSpan.FromTicks(Interlocked.Read(ref _slowest));

    public IReadOnlyList<string> Violations => [.. _violations];

    /// <summary>How many requests ended each way: "answer from {peer}", or the exception's type (and a lost connection's reason).</summary>
    public long Count(string outcome) => _outcomes.GetValueOrDefault(outcome);

    /// <summary>How many requests to <paramref name="target"/> ended as <paramref name="outcome"/>.</summary>
    public long Count(string outcome, string target) => _outcomesByTarget.GetValueOrDefault((outcome, target));

    /// <summary>When (on <see cref="Elapsed"/>'s clock) an outcome was first seen.</summary>
    public TimeSpan? FirstSeen(string outcome) => _firstSeen.TryGetValue(outcome, out TimeSpan at) ? at : null;

    public static string AnswerFrom(string peerId) => $"answer from {peerId}";

    /// <summary>Every outcome and its count, for the test's output.</summary>
    public string Describe() => string.Join(", ", _outcomes.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key}: {o.Value} (first at {_firstSeen[o.Key].TotalSeconds:0.000} s, longest {_longest[o.Key].TotalMilliseconds:0} ms)"));

    /// <summary>Whether any loop is still running.</summary>
    public bool IsRunning => _workers.Any(worker => !worker.IsCompleted);

    /// <summary>Stops the loops and waits for the requests in flight; fails the test if any is still not ended past its bound.</summary>
    public async Task StopAsync()
    {
        if (!await TryStopAsync())
        {
            TimeSpan now = _clock.Elapsed;
            Assert.Fail($"requests hang: {string.Join("; ", _inFlight.Values.Select(s => $"to {s.Target} for {(now - s.At).TotalSeconds:0.0} s"))}");
        }

        Assert.Empty(_inFlight);
    }

    /// <summary>
    /// Stops the loops and waits, within the same bound, for the requests in flight, checking nothing:
    /// the test has either checked with <see cref="StopAsync"/> already or is failing.
    /// </summary>
    public async ValueTask DisposeAsync() => await TryStopAsync();

    private async Task<bool> TryStopAsync()
    {
        _stopping = true;
        try
        {
            await Task.WhenAll(_workers).WaitAsync(_bound + TimeSpan.FromSeconds(5));
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task WorkAsync(int worker)
    {
        byte[] payload = new byte[9 + (worker % 4 * 300)];
        new Random(worker).NextBytes(payload);
        while (!_stopping)
        {
            long number = Interlocked.Increment(ref _nextRequest);
            payload[0] = (byte)worker; // never 0xFF first: the child echo node holds such requests for ever
            BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(1), number);
            string target = _target;
            TimeSpan started = _clock.Elapsed;
            _inFlight[number] = new Started(target, started);
            string outcome;
            bool failed = false;
            try
            {
                using PooledPayload answer = await _node.RequestAsync(target, payload, _timeout);
                outcome = answer.Span.SequenceEqual(payload) ? AnswerFrom(target) : Violation($"request {number} to {target} got another request's answer");
            }
            catch (Exception e) when (e is PeerException or TimeoutException)
            {
                outcome = e is ConnectionLostException lost ? $"{e.GetType().Name}({lost.Reason})" : e.GetType().Name;
                failed = true;
            }
            catch (Exception e)
            {
                outcome = Violation($"request {number} to {target} ended with an untyped {e}");
            }

            TimeSpan took = _clock.Elapsed - started;
            if (!_inFlight.TryRemove(number, out _))
            {
                Violation($"request {number} ended twice");
            }

            if (took > _bound)
            {
                Violation($"request {number} to {target} ended as '{outcome}' after {took.TotalSeconds:0.000} s, past its bound of {_bound.TotalSeconds:0.0} s");
            }

            InterlockedMax(ref _slowest, took.Ticks);
            _outcomes.AddOrUpdate(outcome, 1, static (_, n) => n + 1);
            _outcomesByTarget.AddOrUpdate((outcome, target), 1, static (_, n) => n + 1);
            _firstSeen.TryAdd(outcome, started + took);
            _longest.AddOrUpdate(outcome, took, (_, longest) => took > longest ? took : longest);
            if (failed)
            {
                // A client's pause before retrying: 32 loops failing at once in a tight loop would take
                // the machine's two cores from the peer processes the test starts meanwhile.
                await Task.Delay(RetryPause);
            }
        }
    }

    private string Violation(string what)
    {
        _violations.Enqueue(what);
        return "violation";
    }

    private static void InterlockedMax(ref long location, long value)
    {
        long seen = Interlocked.Read(ref location);
        while (value > seen)
        {
            long previous = Interlocked.CompareExchange(ref location, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    private readonly record struct Started(string Target, TimeSpan At);
}
