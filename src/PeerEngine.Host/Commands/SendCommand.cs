using System.CommandLine;
using System.Text;
using PeerEngine.Buffers;
using PeerEngine.ConnectionPool;
using PeerEngine.Connections;
using PeerEngine.Node;
using PeerEngine.Registry;

namespace PeerEngine.Host.Commands;

/// <summary><c>peerengine send</c>: requests to a peer found in the registry, or at an address.</summary>
internal static class SendCommand
{
    /// <summary>One request to the peer <c>send</c> was pointed at, by id or by address.</summary>
    private delegate ValueTask<PooledPayload> Request(byte[] payload, TimeSpan timeout, CancellationToken cancellationToken);

    public static Command Create()
    {
        var to = new Option<string>("--to") { Description = "The peer's id, or its address: HOST:PORT, [IPv6]:PORT or unix:PATH (reached without the registry).", Required = true };
        Option<string> registry = Settings.Registry();
        Option<string?> discovery = DiscoveryAccess.Option();
        Option<double> timeout = Settings.Seconds("--timeout", "Bound on the whole exchange, connect included", 5);
        var message = new Argument<string>("message") { Description = "The request payload, as UTF-8." };
        var count = new Option<int>("--count") { Description = "Send the message this many times and print a latency summary (Ctrl+C: the summary so far).", DefaultValueFactory = _ => 1 };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once with --count.", DefaultValueFactory = _ => 1 };
        var transport = new Option<string>("--transport")
        {
            Description = "auto (the fastest the peer offers: shared memory, else its Unix socket on this machine, else TCP), tcp, unix or shm.",
            DefaultValueFactory = _ => "auto",
        };
        transport.AcceptOnlyFromAmong("auto", "tcp", "unix", "shm");
        var command = new Command(
            "send",
            "Send MESSAGE as a request to peer ID (or the node at an address) and print the response. Ctrl+C or SIGTERM stops it gracefully (GOODBYE), " +
            "with --count after printing the summary of the requests finished so far, and the exit code is 130.")
        {
            to, registry, discovery, timeout, count, concurrency, transport, message,
        };
        var tls = new TlsSettings();
        tls.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            string peerId = result.GetValue(to)!;
            DiscoveryAccess where = DiscoveryAccess.Resolve(result, registry, discovery);
            TimeSpan limit = Settings.ToTimeSpan(result.GetValue(timeout), "--timeout");
            byte[] payload = Encoding.UTF8.GetBytes(result.GetValue(message)!);

            // A node id has no ':' in it; an address always has, and needs no discovery.
            string via = result.GetValue(transport)!;
            PeerAddress? address = null;
            RedisPeerDiscovery? redis = null;
            if (peerId.Contains(':', StringComparison.Ordinal))
            {
                address = ParseAddress(peerId);
            }
            else
            {
                // Redis is read once here, within the timeout; the client node then starts from that set.
                redis = where.Redis is null ? null : where.OpenRedis(limit);
            }

            await using RedisPeerDiscovery? ownedRedis = redis;
            if (address is null)
            {
                IReadOnlyList<PeerRecord> peers = redis is null
                    ? RegistryAccess.Peers(where.RegistryPath!)
                    : await DiscoveryAccess.ReadAsync(redis, cancellationToken);
                if (peers.FirstOrDefault(p => p.Id == peerId) is not { Id: not null } peer)
                {
                    throw CliException.Usage($"no live peer '{peerId}' in {where.Describe()}");
                }

                via = Via(peer, via);
            }

            via = Via(address, via);

            PeerTlsOptions? tlsOptions = tls.Read(result);
            var options = new PeerNodeOptions
            {
                Listen = false,
                Discover = address is null,
                Registry = new PeerRegistryOptions { Path = where.RegistryPath },
                PreferUnixSockets = via is "unix" or "shm",

                // unix: the plain socket even where shared memory is offered; shm: that or a failure.
                SharedMemory = new PeerSharedMemoryOptions { Enabled = via != "unix", FallBackToUnixSocket = via != "shm" },
                Tls = tlsOptions,
            };
            if (tlsOptions is not null)
            {
                await TlsSettings.CheckAsync(options);
            }

            int times = result.GetValue(count);
            int parallel = result.GetValue(concurrency);
            if (times < 1 || parallel < 1)
            {
                throw CliException.Usage("--count and --concurrency must be at least 1");
            }

            await using var client = new PeerNode(options, redis);
            try
            {
                await client.StartAsync(cancellationToken);
                Request request = address is null
                    ? (payload, timeout, token) => client.RequestAsync(peerId, payload, timeout, token)
                    : (payload, timeout, token) => client.RequestAsync(address, payload, timeout, token);
                return times == 1
                    ? await SendOnceAsync(request, peerId, payload, limit, cancellationToken)
                    : await SendManyAsync(request, peerId, payload, limit, times, parallel, via, cancellationToken);
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

    /// <summary>The TLS failure behind a lost or unavailable peer, if that is what it was: its message says why.</summary>
    private static System.Security.Authentication.AuthenticationException? TlsCause(Exception e)
    {
        for (Exception? cause = e; cause is not null; cause = cause.InnerException)
        {
            if (cause is System.Security.Authentication.AuthenticationException tls)
            {
                return tls;
            }
        }

        return null;
    }

    private static readonly TimeSpan GoodbyeWait = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The transport that reaches <paramref name="peer"/>, as asked (<c>auto</c>: shared memory when it
    /// offers it, else its Unix socket when it publishes one, as a node dials it); bad usage when it
    /// does not offer the one asked for.
    /// </summary>
    private static string Via(PeerRecord peer, string asked)
    {
        string? unixPath = PeerAddress.FromRecord(peer, preferUnixSockets: asked != "tcp")?.UnixSocketPath;
        bool unix = unixPath is not null;
        bool shm = unix && PeerSharedMemoryOptions.IsOfferedAt(unixPath!);
        return asked switch
        {
            "unix" when !unix => throw CliException.Usage($"--transport unix: peer '{peer.Id}' offers no Unix socket"),
            "tcp" when unix => throw CliException.Usage($"--transport tcp: peer '{peer.Id}' offers only a Unix socket"),
            "shm" when !shm => throw NoSharedMemory($"peer '{peer.Id}'"),
            "unix" => "unix",
            _ => shm ? "shm" : unix ? "unix" : "tcp",
        };
    }

    /// <summary>The transport an address is reached by, which its form decides.</summary>
    private static string Via(PeerAddress? address, string asked)
    {
        if (address is null)
        {
            return asked;
        }

        string form = address.UnixSocketPath is null ? "tcp" : "unix";
        bool shm = address.UnixSocketPath is { } path && PeerSharedMemoryOptions.IsOfferedAt(path);
        return asked == "shm" && !shm ? throw NoSharedMemory(address.ToString())
            : asked == "shm" || (asked == "auto" && shm) ? "shm"
            : asked != "auto" && asked != form ? throw CliException.Usage($"--transport {asked} does not reach {address}: a {form} address")
            : form;
    }

    private static CliException NoSharedMemory(string peer) =>
        CliException.Usage($"--transport shm: {peer} offers no shared memory on this machine (it needs a Unix socket, and Linux); use auto, tcp or unix");

    private static PeerAddress ParseAddress(string text)
    {
        try
        {
            return PeerAddress.Parse(text);
        }
        catch (FormatException e)
        {
            throw CliException.Usage($"--to {e.Message}");
        }
    }

    private static async Task<int> SendOnceAsync(Request request, string peerId, byte[] payload, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(limit);
        try
        {
            using PooledPayload response = await request(payload, limit, deadline.Token);
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

    private static async Task<int> SendManyAsync(Request request, string peerId, byte[] payload, TimeSpan limit, int times, int parallel, string via, CancellationToken cancellationToken)
    {
        var latencies = new LatencyHistogram();
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
                    using PooledPayload response = await request(payload, limit, CancellationToken.None);
                    latencies.Record(System.Diagnostics.Stopwatch.GetElapsedTime(begin));
                }
                catch (Exception e) when (Describe(e, peerId, limit) is { } reason)
                {
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
        Console.Out.WriteLine(
            $"{done} requests to {peerId}, {parallel} at a time, in {started.Elapsed.TotalSeconds:0.000} s ({done / started.Elapsed.TotalSeconds:0} req/s): " +
            $"p50 {latencies.Percentile(0.50):0.000} ms, p99 {latencies.Percentile(0.99):0.000} ms, max {latencies.MaxMilliseconds:0.000} ms, {failed} failed");
        Console.Out.WriteLine($"transport: {via}");
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
        PeerUnavailableException or ConnectionLostException when TlsCause(e) is { } tls => $"peer '{peerId}': {RegistryAccess.OneLine(tls.Message)}",
        PeerErrorException error => $"peer '{peerId}' answered with ERROR {(ushort)error.Code} ({error.Code}): {error.PeerMessage}",
        PeerUnavailableException or ConnectionLostException => RegistryAccess.OneLine(e.Message),
        TimeoutException or OperationCanceledException => $"peer '{peerId}' did not answer within {limit.TotalSeconds:0.###} s",
        PeerNotFoundException => $"peer '{peerId}' left the registry",
        _ => null,
    };
}
