using System.Diagnostics;
using System.Net.Sockets;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Tests.Support;
using PeerEngine.Transport;
using PeerEngine.Transport.SharedMemory;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Tests.Transport.SharedMemory;

/// <summary>The protocol's conversations of the socket tests, over shared-memory rings set up on a Unix socket.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SharedMemoryConversationTests
{
    /// <summary>Small rings, so that frames of every size tested here wrap around and outgrow them.</summary>
    private static TransportFactory Rings(int ringSize = 4096, TimeSpan? spin = null) => settings => new SharedMemoryTransport(
        new SocketTransport(settings), settings,
        new PeerSharedMemoryOptions { RingSize = ringSize, SpinDuration = spin ?? TimeSpan.FromMicroseconds(50), FallBackToUnixSocket = false });

    public static TheoryData<int, int> EchoSizes => new()
    {
        { 0, 4096 }, { 64, 4096 }, { 4095, 4096 }, { 64 * 1024, 4096 }, { 1024 * 1024, 4096 }, { 1024 * 1024, 256 * 1024 },
    };

    [Fact]
    public async Task The_handshake_completes_over_the_rings_and_not_the_plain_socket()
    {
        await using var harness = new ConnectionHarness(transport: Rings());
        PeerListener listener = harness.Listen(Handlers.Echo, unix: true);

        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);

        Assert.Equal("server", client.RemoteNodeId);
        Assert.EndsWith(".shm", client.RemoteEndPoint!.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, listener.ConnectionCount);
    }

    [Theory]
    [MemberData(nameof(EchoSizes))]
    public async Task A_request_is_echoed_byte_for_byte_whatever_its_size_against_the_ring(int size, int ringSize)
    {
        await using var harness = new ConnectionHarness(transport: Rings(ringSize));
        PeerListener listener = harness.Listen(Handlers.Echo, unix: true);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);
        byte[] payload = new byte[size];
        new Random(size).NextBytes(payload);

        using PooledPayload response = await client.RequestAsync(payload);

        Assert.Equal(payload, response.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(50)]
    public async Task Ten_thousand_pipelined_requests_complete_out_of_order_with_or_without_spinning(int spinMicroseconds)
    {
        await using var harness = new ConnectionHarness(transport: Rings(spin: TimeSpan.FromMicroseconds(spinMicroseconds)));
        PeerListener listener = harness.Listen(Handlers.DelayedEcho, unix: true);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);
        int completed = 0;

        await Task.WhenAll(Enumerable.Range(0, 10_000).Select(async i =>
        {
            byte[] payload = BitConverter.GetBytes(i * 7919);
            using PooledPayload response = await client.RequestAsync(payload);
            Assert.Equal(payload, response.ToArray());
            Interlocked.Increment(ref completed);
        })).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(10_000, completed);
    }

    [Fact]
    public async Task Requests_flow_both_ways_at_once()
    {
        await using var harness = new ConnectionHarness(transport: Rings());
        PeerListener listener = harness.Listen(Handlers.Echo, unix: true);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint, Handlers.Echo);
        await Eventually.TrueAsync(() => listener.ConnectionCount == 1, "the server side of the connection");
        PeerConnection server = Assert.Single(listener.Connections);
        byte[] big = new byte[100_000];
        new Random(3).NextBytes(big);

        Task[] both =
        [
            .. Enumerable.Range(0, 20).Select(async _ => { using PooledPayload r = await client.RequestAsync(big); Assert.Equal(big, r.ToArray()); }),
            .. Enumerable.Range(0, 20).Select(async _ => { using PooledPayload r = await server.RequestAsync(big); Assert.Equal(big, r.ToArray()); }),
        ];
        await Task.WhenAll(both).WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task An_abort_mid_request_fails_exactly_the_requests_in_flight()
    {
        var handlersStarted = new CountdownEvent(3);
        await using var harness = new ConnectionHarness(transport: Rings());
        PeerListener listener = harness.Listen(async (_, ct) =>
        {
            handlersStarted.Signal();
            await Task.Delay(Timeout.Infinite, ct);
        }, unix: true);
        PeerConnection client = await harness.ConnectAsync(listener.EndPoint);
        Task<PooledPayload>[] inFlight = [.. Enumerable.Range(0, 3).Select(_ => client.RequestAsync("x"u8.ToArray()).AsTask())];
        Assert.True(handlersStarted.Wait(TimeSpan.FromSeconds(10)));

        Assert.Single(listener.Connections).Abort();

        foreach (Task<PooledPayload> request in inFlight)
        {
            var lost = await Assert.ThrowsAsync<ConnectionLostException>(() => request);
            Assert.Equal(ShutdownReason.ConnectionReset, lost.Reason);
        }

        await client.Completion.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Goodbye_drains_the_requests_in_flight_then_both_sides_close()
    {
        await using var harness = new ConnectionHarness(transport: Rings());

        await GoodbyeDrain.DrainsThenBothSidesCloseAsync(harness, unix: true);
    }

    [Fact]
    public async Task A_plain_unix_socket_client_is_served_on_the_same_listener()
    {
        await using var rings = new ConnectionHarness(transport: Rings());
        PeerListener listener = rings.Listen(Handlers.Echo, unix: true);
        await using var plain = new ConnectionHarness();

        await AnsweredOverTheUnixSocketAsync(plain, listener);
    }

    /// <summary>A request from <paramref name="dialler"/> is echoed, over the listener's Unix socket rather than its rings.</summary>
    private static async Task AnsweredOverTheUnixSocketAsync(ConnectionHarness dialler, PeerListener listener)
    {
        PeerConnection client = await dialler.ConnectAsync(listener.EndPoint);
        using PooledPayload answer = await client.RequestAsync("over the socket"u8.ToArray());

        Assert.Equal("over the socket"u8.ToArray(), answer.ToArray());
        Assert.DoesNotContain(".shm", client.RemoteEndPoint!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_listener_that_offers_no_shared_memory_is_reached_over_its_unix_socket()
    {
        await using var plain = new ConnectionHarness();
        PeerListener listener = plain.Listen(Handlers.Echo, unix: true);
        await using var dialler = new ConnectionHarness(transport: settings => new SharedMemoryTransport(
            new SocketTransport(settings), settings, new PeerSharedMemoryOptions()));

        await AnsweredOverTheUnixSocketAsync(dialler, listener);
    }

    [Fact]
    public async Task A_ring_larger_than_the_listener_takes_is_refused_and_the_dialler_falls_back_to_the_unix_socket()
    {
        await using var listening = new ConnectionHarness(transport: Rings(ringSize: 4096));
        PeerListener listener = listening.Listen(Handlers.Echo, unix: true);
        await using var dialler = new ConnectionHarness(transport: settings => new SharedMemoryTransport(
            new SocketTransport(settings), settings, new PeerSharedMemoryOptions { RingSize = 1024 * 1024 }));

        await AnsweredOverTheUnixSocketAsync(dialler, listener);
    }

    [Fact]
    public async Task Without_fallback_a_refused_ring_fails_the_connect()
    {
        await using var listening = new ConnectionHarness(transport: Rings(ringSize: 4096));
        PeerListener listener = listening.Listen(Handlers.Echo, unix: true);
        await using var dialler = new ConnectionHarness(transport: Rings(ringSize: 1024 * 1024));

        await Assert.ThrowsAnyAsync<IOException>(() => dialler.ConnectAsync(listener.EndPoint));
    }

    [Fact]
    public async Task Diallers_that_connect_and_say_nothing_hold_the_setup_slots_only_until_the_setup_timeout()
    {
        var limits = new PeerSharedMemoryOptions { SetupTimeout = TimeSpan.FromMilliseconds(300), MaxSetupsInProgress = 2, FallBackToUnixSocket = false };
        await using var listening = new ConnectionHarness(transport: settings => new SharedMemoryTransport(new SocketTransport(settings), settings, limits));
        PeerListener listener = listening.Listen(Handlers.Echo, unix: true);
        var setup = new UnixDomainSocketEndPoint(SharedMemoryTransport.SetupPath(listener.EndPoint.ToString()!));
        using var silent1 = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var silent2 = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await silent1.ConnectAsync(setup);
        await silent2.ConnectAsync(setup);
        await using var dialler = new ConnectionHarness(transport: Rings());

        // Both slots are held: the third setup waits in the backlog until the silent ones time out.
        long started = Stopwatch.GetTimestamp();
        PeerConnection client = await dialler.ConnectAsync(listener.EndPoint);
        TimeSpan waited = Stopwatch.GetElapsedTime(started);

        Assert.EndsWith(".shm", client.RemoteEndPoint!.ToString(), StringComparison.Ordinal);
        Assert.True(waited >= TimeSpan.FromMilliseconds(250), $"the third setup began after {waited.TotalMilliseconds:0} ms, with both slots held");
        Assert.True(waited < TimeSpan.FromSeconds(4), $"the third setup waited {waited.TotalMilliseconds:0} ms: the silent diallers were held past their 300 ms");
        byte[] buffer = new byte[1];
        Assert.Equal(0, await silent1.ReceiveAsync(buffer, SocketFlags.None));
        Assert.Equal(0, await silent2.ReceiveAsync(buffer, SocketFlags.None));
    }

    [Theory]
    [InlineData(0, 64)]
    [InlineData(-1, 64)]
    [InlineData(301_000, 64)]
    [InlineData(5_000, 0)]
    [InlineData(5_000, 10_001)]
    public void Setup_limits_out_of_range_are_refused_naming_the_option(int timeoutMs, int maxSetups)
    {
        var options = new PeerSharedMemoryOptions { SetupTimeout = TimeSpan.FromMilliseconds(timeoutMs), MaxSetupsInProgress = maxSetups };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains(maxSetups is 64 ? nameof(PeerSharedMemoryOptions.SetupTimeout) : nameof(PeerSharedMemoryOptions.MaxSetupsInProgress), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_setup_socket_is_owner_only_and_gone_once_the_listener_stops()
    {
        var harness = new ConnectionHarness(transport: Rings());
        PeerListener listener = harness.Listen(Handlers.Echo, unix: true);
        string setup = SharedMemoryTransport.SetupPath(listener.EndPoint.ToString()!);

        Assert.True(File.Exists(setup));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(setup));

        await harness.DisposeAsync();
        Assert.False(File.Exists(setup));
    }
}
