using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.Versioning;

using PeerEngine;

[assembly: SupportedOSPlatform("linux")]

// A peer process for the registry's multi-process tests. Each mode prints one "ready ..." line once
// it is in the state the test wants, then waits: for stdin to close (graceful exit), or for a signal.
// Modes that touch the file directly use only the layout documented in docs/registry-format.md, as
// another implementation would.
return args switch
{
    ["publish", var path, var id, var port, var ttlMs, var heartbeatMs] => Publish(path, id, Int(port), Int(ttlMs), Int(heartbeatMs)),
    ["cycles", var path, var prefix, var count, var ttlMs, var heartbeatMs] => Cycles(path, prefix, Int(count), Int(ttlMs), Int(heartbeatMs)),
    ["churn", var path, var prefix, var ttlMs, var heartbeatMs] => Churn(path, prefix, Int(ttlMs), Int(heartbeatMs)),
    ["hold-lock", var path] => HoldLock(path),
    ["die-mid-write", var path, var slot] => DieMidWrite(path, Int(slot)),
    ["probe", var path, var offset] => Probe(path, long.Parse(offset, CultureInfo.InvariantCulture)),
    ["naive-read", var path, var milliseconds] => NaiveRead(path, Int(milliseconds)),
    ["node", var path, var id, var ttlMs, var heartbeatMs] => await RunNodeAsync(path, id, Int(ttlMs), Int(heartbeatMs)),
    ["node", var path, var id, var ttlMs, var heartbeatMs, var unixPath] => await RunNodeAsync(path, id, Int(ttlMs), Int(heartbeatMs), unixPath),
    ["listen", var path, var id, var maxConnections] => await ListenAsync(path, id, maxConnections),
    ["throwing-node", var path, var id] => await RunThrowingNodeAsync(path, id),
    ["metrics-under-di", var path] => await MetricsUnderDi.RunAsync(path),
    ["shm-allocations", var unixPath, var requests] => await SharedMemoryAllocationsAsync(unixPath, Int(requests)),
    _ => Usage(),
};

static int Int(string text) => int.Parse(text, CultureInfo.InvariantCulture);

static PeerRegistryOptions Options(string path, int ttlMs, int heartbeatMs) => new()
{
    Path = path,
    Ttl = TimeSpan.FromMilliseconds(ttlMs),
    HeartbeatInterval = TimeSpan.FromMilliseconds(heartbeatMs),
    LockTimeout = TimeSpan.FromSeconds(10),
};

static void Ready(string detail)
{
    Console.Out.WriteLine($"ready {Environment.ProcessId} {detail}");
    Console.Out.Flush();
}

static void WaitForStdinToClose()
{
    while (Console.In.ReadLine() is not null)
    {
    }
}

// Publishes one peer and heartbeats until stdin closes, then unpublishes.
static int Publish(string path, string id, int port, int ttlMs, int heartbeatMs)
{
    using var registry = new PeerRegistry(Options(path, ttlMs, heartbeatMs));
    using IPeerRegistration registration = registry.Publish(new PeerAnnouncement { Id = id, Host = "127.0.0.1", Port = port });
    Ready(id);
    WaitForStdinToClose();
    return 0;
}

// Publishes and unpublishes `count` peers in a row, then exits.
static int Cycles(string path, string prefix, int count, int ttlMs, int heartbeatMs)
{
    using var registry = new PeerRegistry(Options(path, ttlMs, heartbeatMs));
    Ready(prefix);
    for (int i = 0; i < count; i++)
    {
        using IPeerRegistration registration = registry.Publish(ChurnPeer(prefix, i));
    }

    Console.Out.WriteLine("done");
    return 0;
}

// Publishes and unpublishes forever, every peer's fields derived from its id so that a reader can
// tell a torn record from a real one; runs until killed.
static int Churn(string path, string prefix, int ttlMs, int heartbeatMs)
{
    using var registry = new PeerRegistry(Options(path, ttlMs, heartbeatMs));
    for (int i = 0; ; i++)
    {
        using IPeerRegistration registration = registry.Publish(ChurnPeer(prefix, i));
        registration.Heartbeat();
        if (i == 0)
        {
            Ready(prefix);
        }
    }
}

// The invariant the churn reader checks: id "{prefix}-{pid}-{n}", host "h{pid}-{n}.test", port n % 60000 + 1.
static PeerAnnouncement ChurnPeer(string prefix, int n) => new()
{
    Id = string.Create(CultureInfo.InvariantCulture, $"{prefix}-{Environment.ProcessId}-{n}"),
    Host = string.Create(CultureInfo.InvariantCulture, $"h{Environment.ProcessId}-{n}.test"),
    Port = (n % 60000) + 1,
};

// Takes the registry's writer lock (byte 2^40) and records itself as the last writer, then holds it.
static int HoldLock(string path)
{
    using FileStream file = OpenRaw(path);
    file.Lock(WriterLockOffset, 1);
    WriteInt32(file, LastWriterPidOffset, Environment.ProcessId);
    Ready("holding");
    WaitForStdinToClose();
    return 0;
}

// Takes the writer lock, starts rewriting a slot (odd sequence, garbage in its body) and stops there,
// as a writer killed mid-update would leave it.
static int DieMidWrite(string path, int slot)
{
    using FileStream file = OpenRaw(path);
    file.Lock(WriterLockOffset, 1);
    long offset = HeaderSize + ((long)slot * SlotSize);
    byte[] seq = new byte[8];
    RandomAccess.Read(file.SafeFileHandle, seq, offset);
    long odd = BinaryPrimitives.ReadInt64LittleEndian(seq) | 1;
    BinaryPrimitives.WriteInt64LittleEndian(seq, odd);
    RandomAccess.Write(file.SafeFileHandle, seq, offset);
    byte[] garbage = new byte[SlotSize - 8];
    new Random(slot).NextBytes(garbage);
    RandomAccess.Write(file.SafeFileHandle, garbage.AsSpan(0, garbage.Length / 2), offset + 8);
    Ready("mid-write");
    WaitForStdinToClose();
    return 0;
}

// Tries one byte-range lock and reports whether another process holds it.
static int Probe(string path, long offset)
{
    using FileStream file = OpenRaw(path);
    try
    {
        file.Lock(offset, 1);
        Console.Out.WriteLine("free");
    }
    catch (IOException)
    {
        Console.Out.WriteLine("held");
    }

    return 0;
}

// The control for the seqlock: copies live slots with plain reads, ignoring the sequence number,
// and counts copies whose checksum does not match (torn by a concurrent writer).
static int NaiveRead(string path, int milliseconds)
{
    using FileStream file = OpenRaw(path);
    byte[] header = new byte[HeaderSize];
    byte[] slot = new byte[SlotSize];
    long reads = 0;
    long torn = 0;
    var clock = System.Diagnostics.Stopwatch.StartNew();
    while (clock.ElapsedMilliseconds < milliseconds)
    {
        RandomAccess.Read(file.SafeFileHandle, header, 0);
        int highWater = Math.Min(BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(HighWaterOffset)), 64);
        for (int i = 0; i < highWater; i++)
        {
            RandomAccess.Read(file.SafeFileHandle, slot, HeaderSize + ((long)i * SlotSize));
            reads++;
            if (BinaryPrimitives.ReadUInt32LittleEndian(slot.AsSpan(8)) == 1 && SlotChecksum(slot) != BinaryPrimitives.ReadUInt32LittleEndian(slot.AsSpan(12)))
            {
                torn++;
            }
        }
    }

    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"torn {torn} reads {reads}"));
    return 0;
}

// CRC-32C over [16,56) then [64,512), as docs/registry-format.md specifies.
static uint SlotChecksum(byte[] slot)
{
    uint crc = ~0u;
    foreach (byte b in slot.AsSpan(16, 40))
    {
        crc = System.Numerics.BitOperations.Crc32C(crc, b);
    }

    foreach (byte b in slot.AsSpan(64, SlotSize - 64))
    {
        crc = System.Numerics.BitOperations.Crc32C(crc, b);
    }

    return ~crc;
}

static FileStream OpenRaw(string path) => new(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite, bufferSize: 0);

static void WriteInt32(FileStream file, long offset, int value)
{
    byte[] bytes = new byte[4];
    BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
    RandomAccess.Write(file.SafeFileHandle, bytes, offset);
}

// A whole PeerNode in its own process, for the node's crash tests: it echoes, except that a request
// whose first byte is 0xFF is never answered (it stays in flight until the process dies).
static async Task<int> RunNodeAsync(string path, string id, int ttlMs, int heartbeatMs, string? unixPath = null)
{
    var options = new PeerEngine.PeerNodeOptions { NodeId = id, Registry = Options(path, ttlMs, heartbeatMs), UnixSocketPath = unixPath };
    await using var node = new PeerEngine.PeerNode(options)
    {
        RequestHandler = async (request, cancellationToken) =>
        {
            if (request.Payload.Length > 0 && request.Payload.Span[0] == 0xFF)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            request.Response.Write(request.Payload.Span);
        },
    };
    await node.StartAsync();
    Ready($"{id} {node.TcpEndPoint!.Port.ToString(CultureInfo.InvariantCulture)}");
    WaitForStdinToClose();
    await node.StopAsync();
    return 0;
}

// An echo node whose log events go to stdout, with the listener's connection cap given or left to its
// default ("default": derived from the process's descriptor limit); prints the cap in effect.
static async Task<int> ListenAsync(string path, string id, string maxConnections)
{
    var options = new PeerEngine.PeerNodeOptions { NodeId = id, Registry = Options(path, 10_000, 1_000) };
    if (maxConnections != "default")
    {
        options.Listener.MaxConnections = Int(maxConnections);
    }

    using var logging = new StdoutLoggerFactory();
    await using var node = new PeerEngine.PeerNode(options, loggerFactory: logging)
    {
        RequestHandler = (request, _) =>
        {
            request.Response.Write(request.Payload.Span);
            return ValueTask.CompletedTask;
        },
    };
    await node.StartAsync();
    Ready(FormattableString.Invariant($"{id} {node.TcpEndPoint!.Port} {options.Listener.MaxConnections}"));
    WaitForStdinToClose();
    await node.StopAsync();
    return 0;
}

// A node whose handlers, for a payload starting with 0x01, wait for their connection to end and then
// throw something other than a cancellation (as a handler does whose resources were disposed, or
// that wraps the cancellation); every other request is echoed. It says on stdout when a handler
// starts waiting and when it throws, so that a test can reset the connection at the right moment
// and then check that the process outlived the throw.
static async Task<int> RunThrowingNodeAsync(string path, string id)
{
    var options = new PeerEngine.PeerNodeOptions { NodeId = id, Registry = Options(path, 10_000, 1_000) };
    await using var node = new PeerEngine.PeerNode(options)
    {
        RequestHandler = async (request, cancellationToken) =>
        {
            if (request.Payload.Length > 0 && request.Payload.Span[0] == 0x01)
            {
                await ThrowOnceCancelledAsync("request", cancellationToken);
            }

            request.Response.Write(request.Payload.Span);
        },
        MessageHandler = async (message, cancellationToken) =>
        {
            if (message.Payload.Length > 0 && message.Payload.Span[0] == 0x01)
            {
                await ThrowOnceCancelledAsync("message", cancellationToken);
            }
        },
    };
    await node.StartAsync();
    Ready(FormattableString.Invariant($"{id} {node.TcpEndPoint!.Port}"));
    WaitForStdinToClose();
    await node.StopAsync();
    return 0;
}

static async Task ThrowOnceCancelledAsync(string kind, CancellationToken cancellationToken)
{
    Console.Out.WriteLine($"waiting {kind}");
    Console.Out.Flush();
    try
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
    catch (OperationCanceledException)
    {
        Console.Out.WriteLine($"throwing {kind}");
        Console.Out.Flush();
    }

    throw new InvalidOperationException($"the {kind} handler's resources were disposed");
}

// Two nodes of this process over shared memory with no spin budget, so every wait on either side
// parks and is woken by a bell; prints the bytes the process allocated per request once warm. A child
// process, because the test process counts every pooled block it rents.
static async Task<int> SharedMemoryAllocationsAsync(string unixPath, int requests)
{
    var noSpin = new PeerSharedMemoryOptions { SpinDuration = TimeSpan.Zero, FallBackToUnixSocket = false };
    await using var server = new PeerNode(new PeerNodeOptions { NodeId = "server", Discover = false, UnixSocketPath = unixPath, SharedMemory = noSpin })
    {
        RequestHandler = (request, _) =>
        {
            request.Response.Write(request.Payload.Span);
            return ValueTask.CompletedTask;
        },
    };
    await server.StartAsync();
    await using var client = new PeerNode(new PeerNodeOptions { NodeId = "client", Discover = false, Listen = false, SharedMemory = noSpin });
    await client.StartAsync();
    byte[] payload = new byte[64];
    PeerAddress address = PeerAddress.Unix(unixPath);

    await RequestsAsync(client, address, payload, requests / 4);
    long before = GC.GetTotalAllocatedBytes(precise: true);
    long answered = await RequestsAsync(client, address, payload, requests);
    long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"answered {answered} allocated-per-request {allocated / (double)requests:F1}"));
    return 0;
}

static async Task<long> RequestsAsync(PeerNode client, PeerAddress address, byte[] payload, int count)
{
    long bytes = 0;
    for (int i = 0; i < count; i++)
    {
        using PooledPayload answer = await client.RequestAsync(address, payload);
        bytes += answer.Length;
    }

    return bytes / payload.Length;
}

static int Usage()
{
    Console.Error.WriteLine("usage: PeerEngine.RegistryPeer publish|cycles|churn|hold-lock|die-mid-write|probe|naive-read|node|listen|throwing-node|metrics-under-di|shm-allocations ARGS...");
    return 2;
}

// From docs/registry-format.md.
internal static partial class Program
{
    private const long WriterLockOffset = 1L << 40;
    private const int HeaderSize = 4096;
    private const int SlotSize = 512;
    private const int LastWriterPidOffset = 72;
    private const int HighWaterOffset = 64;
}
