using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using PeerEngine.Framing;

namespace PeerEngine.Benchmarks.EndToEnd.Runner;

/// <summary>
/// <c>e2e idle</c>: what an idle connection costs each stack (issue 3). For every stack, a server
/// process is warmed up (connections opened, used with both payload sizes, closed), then this process
/// opens N handshaken connections and leaves them idle; the server's resident set over its warm
/// baseline, divided by N, is the cost of an idle connection. Then every connection carries one large
/// request and goes idle again (a stack that keeps the buffer a large frame needed pays here), and
/// finally every connection must still answer a small request.
/// </summary>
internal static class IdleConnectionsRunner
{
    public const string Usage = "e2e idle [--connections N] [--large-payload BYTES] [--stacks plain,kestrel,dotnetty,peerengine] [--decommit] [--out FILE]";

    private const int SmallPayload = 64;
    private const int WarmupConnections = 200;
    private const int Parallelism = 64;

    private static readonly byte[] HelloFrame = EchoWire.Hello("e2e-idle");

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
        report.AppendLine(CultureInfo.InvariantCulture, $"| stack | baseline RSS MiB | idle KiB/conn | managed KiB/conn | after one {largePayload:N0} B frame each, KiB/conn | managed KiB/conn | all still served |");
        report.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (string stack in stacks)
        {
            Result result = MeasureAsync(stack, connections, largePayload, decommit).GetAwaiter().GetResult();
            string line = FormattableString.Invariant(
                $"| {stack} | {result.BaselineKiB / 1024.0:F1} | {result.IdleKiBPerConnection:F2} | {result.ManagedKiBPerConnection:F2} | {result.AfterLargeKiBPerConnection:F2} | {result.AfterLargeManagedKiBPerConnection:F2} | {result.Served:N0}/{connections:N0} |");
            Console.Error.WriteLine("  " + line);
            report.AppendLine(line);
        }

        Console.WriteLine(report.ToString());
        if (output is not null)
        {
            File.WriteAllText(output, report.ToString());
        }

        return 0;
    }

    private static async Task<Result> MeasureAsync(string stack, int count, int largePayload, bool decommit)
    {
        using ChildProcess server = ChildProcess.Start(
            core: 0,
            decommit ? new Dictionary<string, string> { ["E2E_DECOMMIT"] = "1" } : new Dictionary<string, string>(),
            "serve",
            stack);
        string ready = server.Expect("READY");
        string tcp = ready.Split(' ').First(f => f.StartsWith("tcp=", StringComparison.Ordinal))[4..];
        IPEndPoint endPoint = IPEndPoint.Parse(tcp);

        // Warm-up: the JIT, the thread pool and the stack's pools reach their steady size first.
        Socket[] warm = await OpenAsync(endPoint, WarmupConnections).ConfigureAwait(false);
        await EchoOnEachAsync(warm, SmallPayload).ConfigureAwait(false);
        await EchoOnEachAsync(warm, largePayload).ConfigureAwait(false);
        Close(warm);

        // Settling times, not synchronisation: the server has no signal for "done closing" or
        // "idle", and the resident set is read once its connections have stopped moving.
        await Task.Delay(500).ConfigureAwait(false);
        (long baseline, long baselineManaged) = Memory(server);

        Socket[] sockets = await OpenAsync(endPoint, count).ConfigureAwait(false);
        try
        {
            await Task.Delay(1000).ConfigureAwait(false);
            (long idle, long idleManaged) = Memory(server);
            await EchoOnEachAsync(sockets, largePayload).ConfigureAwait(false);
            await Task.Delay(1000).ConfigureAwait(false);
            (long afterLarge, long afterLargeManaged) = Memory(server);
            int served = await EchoOnEachAsync(sockets, SmallPayload).ConfigureAwait(false);
            return new Result(
                baseline,
                (idle - baseline) / (double)count,
                (idleManaged - baselineManaged) / 1024.0 / count,
                (afterLarge - baseline) / (double)count,
                (afterLargeManaged - baselineManaged) / 1024.0 / count,
                served);
        }
        finally
        {
            Close(sockets);
        }
    }

    private static (long RssKiB, long ManagedBytes) Memory(ChildProcess server)
    {
        server.Send("memory");
        string[] fields = server.Expect("MEMORY").Split(' ');
        long Field(string name) => long.Parse(fields.First(f => f.StartsWith(name, StringComparison.Ordinal))[name.Length..], CultureInfo.InvariantCulture);
        return (Field("rss="), Field("managed="));
    }

    private static async Task<Socket[]> OpenAsync(IPEndPoint endPoint, int count)
    {
        var sockets = new Socket[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, ct) =>
        {
            var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            sockets[i] = socket;
            await socket.ConnectAsync(endPoint, ct).ConfigureAwait(false);
            await socket.SendAsync(HelloFrame, SocketFlags.None, ct).ConfigureAwait(false);
            byte[] buffer = new byte[EchoWire.HeaderSize + 256];
            if (await ReadFrameAsync(socket, buffer, ct).ConfigureAwait(false) != FrameKind.Hello)
            {
                throw new InvalidOperationException("The server answered the HELLO with another frame.");
            }
        }).ConfigureAwait(false);
        return sockets;
    }

    /// <summary>One request of <paramref name="payload"/> bytes on every connection; returns how many were echoed intact.</summary>
    private static async Task<int> EchoOnEachAsync(Socket[] sockets, int payload)
    {
        int served = 0;
        await Parallel.ForAsync(0, sockets.Length, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (i, ct) =>
        {
            byte[] request = new byte[EchoWire.HeaderSize + payload];
            BinaryPrimitives.WriteUInt32BigEndian(request, (uint)payload);
            request[EchoWire.KindOffset] = (byte)FrameKind.Request;
            BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(6), (uint)i + 1);
            request.AsSpan(EchoWire.HeaderSize).Fill((byte)i);
            await sockets[i].SendAsync(request, SocketFlags.None, ct).ConfigureAwait(false);
            byte[] response = new byte[request.Length];
            if (await ReadFrameAsync(sockets[i], response, ct).ConfigureAwait(false) == FrameKind.Response
                && response.AsSpan(EchoWire.HeaderSize).SequenceEqual(request.AsSpan(EchoWire.HeaderSize)))
            {
                Interlocked.Increment(ref served);
            }
        }).ConfigureAwait(false);
        return served;
    }

    private static async Task<FrameKind> ReadFrameAsync(Socket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        await ReceiveExactlyAsync(socket, buffer.AsMemory(0, EchoWire.HeaderSize), cancellationToken).ConfigureAwait(false);
        int length = EchoWire.PayloadLength(buffer);
        if (EchoWire.HeaderSize + length > buffer.Length)
        {
            throw new InvalidOperationException($"A frame of {length} bytes where at most {buffer.Length - EchoWire.HeaderSize} were expected.");
        }

        await ReceiveExactlyAsync(socket, buffer.AsMemory(EchoWire.HeaderSize, length), cancellationToken).ConfigureAwait(false);
        return (FrameKind)buffer[EchoWire.KindOffset];
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException("The server closed an idle connection.");
            }

            buffer = buffer[read..];
        }
    }

    private static void Close(Socket[] sockets)
    {
        foreach (Socket? socket in sockets)
        {
            socket?.Dispose();
        }
    }

    private sealed record Result(long BaselineKiB, double IdleKiBPerConnection, double ManagedKiBPerConnection, double AfterLargeKiBPerConnection, double AfterLargeManagedKiBPerConnection, int Served);
}
