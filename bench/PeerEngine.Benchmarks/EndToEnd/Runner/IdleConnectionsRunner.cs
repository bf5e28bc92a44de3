using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using PeerEngine.Framing;

namespace PeerEngine.Benchmarks.EndToEnd.Runner;

/// <summary>
/// <c>e2e idle</c>: what an idle connection costs each stack. For every stack, a server
/// process is warmed up (connections opened, used with both payload sizes, closed), then this process
/// opens N/2 handshaken connections, each carries one large request and goes idle again (a stack that
/// keeps the buffer a large frame needed pays here); then N/2 more are opened and left idle, and then
/// carry the large request too. The growth of the server's resident set per connection of the second
/// half is the cost of an idle connection and of one that carried a frame (the slope, not the total
/// over the baseline: it leaves out what the process pays once, whatever the number of connections); finally
/// every connection must still answer a small request.
/// </summary>
internal static class IdleConnectionsRunner
{
    public const string Usage = "e2e idle [--connections N] [--large-payload BYTES] [--stacks plain,kestrel,dotnetty,peerengine,peerengine-tls] [--decommit] [--out FILE]";

    private const int SmallPayload = 64;
    private const int WarmupConnections = 2000;
    private const int Parallelism = 64;
    private const int MaxWarmupPasses = 40;

    /// <summary>A pass that compiles this few methods is quiet: a timer or a rare path, not a wave of tier-ups.</summary>
    private const int QuietPassCompilations = 2;

    private static readonly byte[] HelloFrame = EchoWire.Hello(TlsFiles.ClientId);

    public static int Run(string[] arguments)
    {
        int connections = 10_000;
        int largePayload = 60_000;
        string[] stacks = ["plain", "kestrel", "dotnetty", "peerengine"];
        string? output = null;
        bool decommit = false;
        for (int i = 0; i < arguments.Length; i++)
        {
            string Next() => i + 1 < arguments.Length ? arguments[++i] : throw new ArgumentException($"{arguments[i]} needs a value.");
            switch (arguments[i])
            {
                case "--connections":
                    connections = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--large-payload":
                    largePayload = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--stacks":
                    stacks = Next().Split(',');
                    break;
                case "--decommit":
                    decommit = true;
                    break;
                case "--out":
                    output = Next();
                    break;
                default:
                    Console.Error.WriteLine($"Unknown option {arguments[i]}.");
                    Console.Error.WriteLine("usage: " + Usage);
                    return 2;
            }
        }

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"#### {connections:N0} idle connections (server RSS over its warm baseline, per connection; as shipped; after a full {(decommit ? "aggressive" : "forced")} collection)");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"Slope: growth from {connections - (connections / 2):N0} connections added to {connections / 2:N0} that already carried a frame. Total: growth over the baseline ÷ connections (idle: the first {connections / 2:N0}; after: all {connections:N0}).");
        report.AppendLine();
        report.AppendLine(CultureInfo.InvariantCulture, $"| stack | baseline RSS MiB | idle KiB/conn (slope) | managed | after one {largePayload:N0} B frame each (slope) | managed | idle (total) | after (total) | all still served | warm-up passes | methods compiled: second half / all measured |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|");
        string? tlsFolder = stacks.Contains("peerengine-tls") ? TlsFiles.Create() : null;
        foreach (string stack in stacks)
        {
            Result result = MeasureAsync(stack, connections, largePayload, decommit, tlsFolder).GetAwaiter().GetResult();
            string line = FormattableString.Invariant(
                $"| {stack} | {result.BaselineKiB / 1024.0:F1} | {result.Slope.Idle.RssKiB:F2} | {result.Slope.Idle.ManagedKiB:F2} | {result.Slope.AfterLarge.RssKiB:F2} | {result.Slope.AfterLarge.ManagedKiB:F2} | {result.Total.Idle.RssKiB:F2} | {result.Total.AfterLarge.RssKiB:F2} | {result.Served:N0}/{connections:N0} | {result.WarmupPasses} | {result.JitDuringSecondHalf} / {result.JitWhileMeasured} |");
            Console.Error.WriteLine("  " + line);
            report.AppendLine(line);
        }

        if (tlsFolder is not null)
        {
            Directory.Delete(tlsFolder, recursive: true);
        }

        Console.WriteLine(report.ToString());
        if (output is not null)
        {
            File.WriteAllText(output, report.ToString());
        }

        return 0;
    }

    private static async Task<Result> MeasureAsync(string stack, int count, int largePayload, bool decommit, string? tlsFolder)
    {
        var environment = new Dictionary<string, string>();
        if (decommit)
        {
            environment["E2E_DECOMMIT"] = "1";
        }

        bool tls = stack == "peerengine-tls";
        if (tls)
        {
            environment[TlsFiles.Variable] = tlsFolder!;
        }

        using ChildProcess server = ChildProcess.Start(core: 0, environment, "serve", stack);
        string ready = server.Expect("READY");
        string tcp = ready.Split(' ').First(f => f.StartsWith("tcp=", StringComparison.Ordinal))[4..];
        var endPoint = new Dialer(IPEndPoint.Parse(tcp), tls ? TlsFiles.Client(tlsFolder!) : null);

        // Warm-up: the thread pool and the stack's pools reach their steady size, and the JIT its
        // steady state. Tiered compilation recompiles hot code in steps (instrumented, then
        // optimised), each only after a delay without new compilations and 30 more calls, so for
        // several passes; code it compiled while a half is measured was counted as connections'
        // memory (about 1 KiB per connection after the frames). Passes of 200 connections did not
        // trigger those steps at all (they came during the measurement); passes of 2,000 take 15-25
        // to settle. So the warm-up repeats until two passes in a row compile (almost) nothing.
        Reading baseline = default;
        int warmupPasses = 0;
        int quietPasses = 0;
        while (quietPasses < 2 && warmupPasses++ < MaxWarmupPasses)
        {
            long compiledBefore = baseline.JitMethods;
            Stream[] warm = await OpenAsync(endPoint, WarmupConnections).ConfigureAwait(false);
            await EchoOnEachAsync(warm, SmallPayload).ConfigureAwait(false);
            await EchoOnEachAsync(warm, largePayload).ConfigureAwait(false);
            Close(warm);
            baseline = await SettledMemoryAsync(server).ConfigureAwait(false);
            long compiled = baseline.JitMethods - compiledBefore;
            quietPasses = compiled <= QuietPassCompilations ? quietPasses + 1 : 0;
            Console.Error.WriteLine(FormattableString.Invariant($"  {stack}: warm-up pass {warmupPasses}, {compiled} methods compiled"));
        }

        // Two halves, so that each figure is a slope between two states that differ only in the
        // number of connections of the kind measured: what the process pays once while the first
        // half is served (tier-1 code the JIT compiles then, pools growing to the burst's size) is
        // in both readings and cancels out. The totals over the baseline are reported as well.
        int firstHalf = count / 2;
        int secondHalf = count - firstHalf;
        Stream[] first = await OpenAsync(endPoint, firstHalf).ConfigureAwait(false);
        Stream[] second = [];
        try
        {
            Reading firstIdle = await SettledMemoryAsync(server).ConfigureAwait(false);
            await EchoOnEachAsync(first, largePayload).ConfigureAwait(false);
            Reading firstAfterLarge = await SettledMemoryAsync(server).ConfigureAwait(false);
            second = await OpenAsync(endPoint, secondHalf).ConfigureAwait(false);
            Reading secondIdle = await SettledMemoryAsync(server).ConfigureAwait(false);
            await EchoOnEachAsync(second, largePayload).ConfigureAwait(false);
            Reading allAfterLarge = await SettledMemoryAsync(server).ConfigureAwait(false);
            int served = await EchoOnEachAsync([.. first, .. second], SmallPayload).ConfigureAwait(false);
            return new Result(
                baseline.RssKiB,
                Slope: new Costs(secondIdle.Minus(firstAfterLarge, secondHalf), allAfterLarge.Minus(firstAfterLarge, secondHalf)),
                Total: new Costs(firstIdle.Minus(baseline, firstHalf), allAfterLarge.Minus(baseline, count)),
                served,
                warmupPasses,
                JitDuringSecondHalf: allAfterLarge.JitMethods - firstAfterLarge.JitMethods,
                JitWhileMeasured: allAfterLarge.JitMethods - baseline.JitMethods);
        }
        finally
        {
            Close(first);
            Close(second);
        }
    }

    private static async Task<Reading> SettledMemoryAsync(ChildProcess server)
    {
        // Settling time, not synchronisation: the server has no signal for "done closing" or
        // "idle", and the resident set is read once its connections have stopped moving.
        await Task.Delay(1000).ConfigureAwait(false);
        return Memory(server);
    }

    private static Reading Memory(ChildProcess server)
    {
        server.Send("memory");
        string[] fields = server.Expect("MEMORY").Split(' ');
        long Field(string name) => long.Parse(fields.First(f => f.StartsWith(name, StringComparison.Ordinal))[name.Length..], CultureInfo.InvariantCulture);
        return new Reading(Field("rss="), Field("managed="), Field("jit="));
    }

    private static async Task<Stream[]> OpenAsync(Dialer dialer, int count)
    {
        var streams = new Stream[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, ct) =>
        {
            var socket = new Socket(dialer.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(dialer.EndPoint, ct).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }

            Stream stream = new NetworkStream(socket, ownsSocket: true);
            streams[i] = stream;
            if (dialer.Tls is { } tls)
            {
                var secured = new SslStream(stream);
                streams[i] = stream = secured;
                await secured.AuthenticateAsClientAsync(tls, ct).ConfigureAwait(false);
            }

            await stream.WriteAsync(HelloFrame, ct).ConfigureAwait(false);
            byte[] buffer = new byte[EchoWire.HeaderSize + 256];
            if (await ReadFrameAsync(stream, buffer, ct).ConfigureAwait(false) != FrameKind.Hello)
            {
                throw new InvalidOperationException("The server answered the HELLO with another frame.");
            }
        }).ConfigureAwait(false);
        return streams;
    }

    /// <summary>One request of <paramref name="payload"/> bytes on every connection; returns how many were echoed intact.</summary>
    private static async Task<int> EchoOnEachAsync(Stream[] streams, int payload)
    {
        int served = 0;
        await Parallel.ForAsync(0, streams.Length, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, ct) =>
        {
            byte[] request = new byte[EchoWire.HeaderSize + payload];
            BinaryPrimitives.WriteUInt32BigEndian(request, (uint)payload);
            request[EchoWire.KindOffset] = (byte)FrameKind.Request;
            BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(6), (uint)i + 1);
            request.AsSpan(EchoWire.HeaderSize).Fill((byte)i);
            await streams[i].WriteAsync(request, ct).ConfigureAwait(false);
            byte[] response = new byte[request.Length];
            if (await ReadFrameAsync(streams[i], response, ct).ConfigureAwait(false) == FrameKind.Response
                && response.AsSpan(EchoWire.HeaderSize).SequenceEqual(request.AsSpan(EchoWire.HeaderSize)))
            {
                Interlocked.Increment(ref served);
            }
        }).ConfigureAwait(false);
        return served;
    }

    private static async Task<FrameKind> ReadFrameAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        await stream.ReadExactlyAsync(buffer.AsMemory(0, EchoWire.HeaderSize), cancellationToken).ConfigureAwait(false);
        int length = EchoWire.PayloadLength(buffer);
        if (EchoWire.HeaderSize + length > buffer.Length)
        {
            throw new InvalidOperationException($"A frame of {length} bytes where at most {buffer.Length - EchoWire.HeaderSize} were expected.");
        }

        await stream.ReadExactlyAsync(buffer.AsMemory(EchoWire.HeaderSize, length), cancellationToken).ConfigureAwait(false);
        return (FrameKind)buffer[EchoWire.KindOffset];
    }

    private static void Close(Stream[] streams)
    {
        foreach (Stream? stream in streams)
        {
            stream?.Dispose();
        }
    }

    private readonly record struct Reading(long RssKiB, long ManagedBytes, long JitMethods)
    {
        /// <summary>The growth since <paramref name="earlier"/>, per connection, for <paramref name="connections"/> connections added.</summary>
        public PerConnection Minus(Reading earlier, int connections) =>
            new((RssKiB - earlier.RssKiB) / (double)connections, (ManagedBytes - earlier.ManagedBytes) / 1024.0 / connections);
    }

    /// <summary>Where the connections go, and with which TLS options when the stack speaks TLS.</summary>
    private sealed record Dialer(IPEndPoint EndPoint, SslClientAuthenticationOptions? Tls);

    private readonly record struct PerConnection(double RssKiB, double ManagedKiB);

    private readonly record struct Costs(PerConnection Idle, PerConnection AfterLarge);

    private sealed record Result(long BaselineKiB, Costs Slope, Costs Total, int Served, int WarmupPasses, long JitDuringSecondHalf, long JitWhileMeasured);
}
