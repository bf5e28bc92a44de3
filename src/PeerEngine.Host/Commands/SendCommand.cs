using System.CommandLine;
using System.Text;
using PeerEngine.Buffers;
using PeerEngine.ConnectionPool;
using PeerEngine.Connections;
using PeerEngine.Node;
using PeerEngine.Registry;

namespace PeerEngine.Host.Commands;

/// <summary><c>peerengine send</c>: one request to a peer found in the registry.</summary>
internal static class SendCommand
{
    public static Command Create()
    {
        var to = new Option<string>("--to") { Description = "The peer's id.", Required = true };
        Option<string> registry = Settings.Registry();
        Option<string?> discovery = DiscoveryAccess.Option();
        Option<double> timeout = Settings.Seconds("--timeout", "Bound on the whole exchange, connect included", 5);
        var message = new Argument<string>("message") { Description = "The request payload, as UTF-8." };
        var count = new Option<int>("--count") { Description = "Send the message this many times and print a latency summary (Ctrl+C: the summary so far).", DefaultValueFactory = _ => 1 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once with --count.", DefaultValueFactory = _ => 1 };
        var command = new Command(
            "send",
            "Send MESSAGE as a request to peer ID and print the response. Ctrl+C or SIGTERM stops it gracefully (GOODBYE), " +
            "with --count after printing the summary of the requests finished so far, and the exit code is 130.")
        {
            to, registry, discovery, timeout, count, concurrency, message,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            string peerId = result.GetValue(to)!;
            DiscoveryAccess where = DiscoveryAccess.Resolve(result, registry, discovery);
            TimeSpan limit = Settings.ToTimeSpan(result.GetValue(timeout), "--timeout");
            byte[] payload = Encoding.UTF8.GetBytes(result.GetValue(message)!);

            // Redis is read once here, within the timeout; the client node then starts from that set.
            await using RedisPeerDiscovery? redis = where.Redis is null ? null : where.OpenRedis(limit);
            IReadOnlyList<PeerRecord> peers = redis is null ? RegistryAccess.Peers(where.RegistryPath!) : await DiscoveryAccess.ReadAsync(redis, cancellationToken);
            if (!peers.Any(p => p.Id == peerId))
            {
                throw CliException.Usage($"no live peer '{peerId}' in {where.Describe()}");
            }

            int times = result.GetValue(count);
            int parallel = result.GetValue(concurrency);
            if (times < 1 || parallel < 1)
            {
                throw CliException.Usage("--count and --concurrency must be at least 1");
            }

            await using var client = new PeerNode(new PeerNodeOptions { Listen = false, Registry = new PeerRegistryOptions { Path = where.RegistryPath } }, redis);
            try
            {
                await client.StartAsync(cancellationToken);
                return times == 1
                    ? await SendOnceAsync(client, peerId, payload, limit, cancellationToken)
                    : await SendManyAsync(client, peerId, payload, limit, times, parallel, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Interrupted;
            }
            finally
            {
                // GOODBYE rather than a reset: the peer sees a client that left, not one that broke.
                // A peer that answers says goodbye back within a round trip; one that is frozen would
                // hold the exit for the whole drain timeout, so the goodbye is given half a second.
                using var goodbye = new CancellationTokenSource(GoodbyeWait);
                await client.StopAsync(goodbye.Token);
            }
        });
        return command;
    }

    private static readonly TimeSpan GoodbyeWait = TimeSpan.FromMilliseconds(500);

    private static async Task<int> SendOnceAsync(PeerNode client, string peerId, byte[] payload, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            using PooledPayload response = await client.RequestAsync(peerId, payload, limit, deadline.Token);
            Console.Out.Write(Encoding.UTF8.GetString(response.Span));
            Console.Out.Write('\n');
            return ExitCodes.Success;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (Describe(e, peerId, limit) is { } reason)
        {
            throw CliException.Unreachable(reason);
        }
    }

    private static async Task<int> SendManyAsync(PeerNode client, string peerId, byte[] payload, TimeSpan limit, int times, int parallel, CancellationToken cancellationToken)
    {
        var latencies = new double[times];
        int next = -1;
        int failed = 0;
        string? firstFailure = null;
        bool unreachable = false;
        var started = System.Diagnostics.Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(async _ =>
        {
            // Ctrl+C stops taking new requests; those in flight finish (within --timeout) and are
            // measured, so the summary counts every request sent and the connection drains cleanly.
            // A peer that cannot be reached (gone, refusing, or frozen: the pool's circuit is open)
            // stops the run too: the rest would only fail the same way.
            int i;
            while (!cancellationToken.IsCancellationRequested && !Volatile.Read(ref unreachable) && (i = Interlocked.Increment(ref next)) < times)
            {
                long begin = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    using PooledPayload response = await client.RequestAsync(peerId, payload, limit, CancellationToken.None);
                    latencies[i] = System.Diagnostics.Stopwatch.GetElapsedTime(begin).TotalMilliseconds;
                }
                catch (Exception e) when (Describe(e, peerId, limit) is { } reason)
                {
                    latencies[i] = double.NaN;
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstFailure, reason, null);
                    if (e is PeerUnavailableException or PeerNotFoundException)
                    {
                        Volatile.Write(ref unreachable, true);
                    }
                }
            }
        }));

        // Every index taken was sent and finished: all of them, or those taken before Ctrl+C.
        int done = Math.Min(times, next + 1);
        double[] ok = [.. latencies.Take(done).Where(l => !double.IsNaN(l)).Order()];
        double Percentile(double p) => ok.Length == 0 ? double.NaN : ok[Math.Min(ok.Length - 1, (int)Math.Ceiling(p * ok.Length) - 1)];
        Console.Out.WriteLine(
            $"{done} requests to {peerId}, {parallel} at a time, in {started.Elapsed.TotalSeconds:0.000} s ({done / started.Elapsed.TotalSeconds:0} req/s): " +
            $"p50 {Percentile(0.50):0.000} ms, p99 {Percentile(0.99):0.000} ms, max {Percentile(1):0.000} ms, {failed} failed");
        if (done < times && !unreachable)
        {
            Console.Error.WriteLine($"peerengine: interrupted after {done} of {times} requests");
            return ExitCodes.Interrupted;
        }

        if (done < times)
        {
            throw CliException.Unreachable($"stopped after {done} of {times} requests, {failed} failed; first: {firstFailure}");
        }

        if (failed > 0)
        {
            throw CliException.Unreachable($"{failed} of {times} requests failed; first: {firstFailure}");
        }

        return ExitCodes.Success;
    }

    private static string? Describe(Exception e, string peerId, TimeSpan limit) => e switch
    {
        PeerErrorException error => $"peer '{peerId}' answered with ERROR {(ushort)error.Code} ({error.Code}): {error.PeerMessage}",
        PeerUnavailableException or ConnectionLostException => RegistryAccess.OneLine(e.Message),
        TimeoutException or OperationCanceledException => $"peer '{peerId}' did not answer within {limit.TotalSeconds:0.###} s",
        PeerNotFoundException => $"peer '{peerId}' left the registry",
        _ => null,
    };
}
