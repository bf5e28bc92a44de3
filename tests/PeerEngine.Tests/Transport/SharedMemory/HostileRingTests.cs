using System.Net.Sockets;
using System.Runtime.Versioning;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Tests.Support;
using PeerEngine.Transport;
using PeerEngine.Transport.SharedMemory;
using PeerEngine.Transport.SharedMemory.Internal;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Tests.Transport.SharedMemory;

/// <summary>
/// A dialler that sets up a real mapping with a listener, then writes into it what no peer writes:
/// the listener closes that connection, logs why, never touches memory outside the mapping, and goes
/// on serving everyone else.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class HostileRingTests
{
    private const int RingSize = 4096;

    private static TransportFactory Rings => settings => new SharedMemoryTransport(
        new SocketTransport(settings), settings, new PeerSharedMemoryOptions { RingSize = RingSize, FallBackToUnixSocket = false });

    public static TheoryData<string> Scribbles => new() { "tail-far-ahead", "tail-back", "tail-all-ones", "head-ahead", "garbage-bytes", "random-everything", "bad-bell" };

    [Theory]
    [MemberData(nameof(Scribbles))]
    public async Task A_peer_scribbling_on_the_mapping_is_closed_and_the_listener_serves_on(string scribble)
    {
        var logs = new RecordingLoggerFactory();
        await using var harness = new ConnectionHarness(transport: settings => Rings(settings with { Logger = logs.CreateLogger("shm") }));
        PeerListener listener = harness.Listen(Handlers.Echo, unix: true);
        string setupPath = SharedMemoryTransport.SetupPath(listener.EndPoint.ToString()!);

        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(setupPath));
        using SharedMapping mapping = await SetupExchange.DialAsync(socket, RingSize, CancellationToken.None);
        await Eventually.TrueAsync(() => listener.ConnectionCount == 1, "the listener took the hostile connection");

        Scribble(mapping, socket, scribble);

        await Eventually.TrueAsync(() => listener.ConnectionCount == 0, "the hostile connection is closed", TimeSpan.FromSeconds(15));
        if (scribble.StartsWith("tail", StringComparison.Ordinal))
        {
            Assert.True(logs.Has(120, "impossible tail"), logs.Dump());
        }

        // The peer's socket is closed: its end of stream.
        byte[] rest = new byte[64];
        await Eventually.TrueAsync(() => Closed(socket, rest), "the listener closed the setup socket", TimeSpan.FromSeconds(15));

        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);
        using PooledPayload answer = await client.RequestAsync("still serving"u8.ToArray());
        Assert.Equal("still serving"u8.ToArray(), answer.ToArray());
    }

    private static bool Closed(Socket socket, byte[] buffer)
    {
        if (!socket.Poll(0, SelectMode.SelectRead))
        {
            return false;
        }

        try
        {
            return socket.Receive(buffer) == 0 || !socket.Poll(0, SelectMode.SelectRead);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Closed with our bells unread: a reset, which is as closed.
            return true;
        }
    }

    private static unsafe ulong HeadOf(RingView ring) => Volatile.Read(ref *ring.Head);

    private static unsafe void Scribble(SharedMapping mapping, Socket socket, string how)
    {
        RingView toListener = mapping.Ring(0);
        RingView fromListener = mapping.Ring(1);
        switch (how)
        {
            case "tail-far-ahead":
                Volatile.Write(ref *toListener.Tail, RingSize * 3);
                break;
            case "tail-back":
                var producer = new RingProducer(toListener);
                producer.Write(new byte[5]);
                socket.Send("D"u8);
                Assert.True(SpinWait.SpinUntil(() => HeadOf(toListener) == 5, TimeSpan.FromSeconds(10)), "the listener read the 5 bytes");
                Volatile.Write(ref *toListener.Tail, 2);
                Volatile.Write(ref *toListener.Tail, 1);
                break;
            case "tail-all-ones":
                Volatile.Write(ref *toListener.Tail, ulong.MaxValue);
                break;
            case "head-ahead":
                // The listener's HELLO sits in ring 1: a head past its tail.
                Volatile.Write(ref *fromListener.Head, 1UL << 40);
                new RingProducer(toListener).Write([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
                break;
            case "garbage-bytes":
                // Well-formed ring, bytes that are no frame: the protocol refuses them.
                new RingProducer(toListener).Write([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
                break;
            case "random-everything":
                new Random(7).NextBytes(new Span<byte>(mapping.Pointer, (int)mapping.Size));
                break;
            case "bad-bell":
                socket.Send("X"u8);
                break;
        }

        // Whatever was scribbled, ring the bell so a sleeping listener looks (unless it has closed already).
        try
        {
            socket.Send("D"u8);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.Shutdown or SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
        }
    }
}
