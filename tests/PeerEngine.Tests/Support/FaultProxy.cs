using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;

namespace PeerEngine.Tests.Support;

/// <summary>Which way bytes travel through a <see cref="FaultProxy"/>.</summary>
internal enum ProxyDirection
{
    /// <summary>From the side that connected to the proxy, to the proxy's target.</summary>
    ToTarget,

    /// <summary>From the target back to the side that connected.</summary>
    ToClient,
}

/// <summary>
/// A TCP proxy on loopback that forwards every connection to one target and injects faults on
/// command: a reset after N bytes (SO_LINGER 0, so both ends see RST), a black hole (the open
/// connections stop forwarding but stay open), one-byte slices (each byte its own send), added
/// latency per chunk, and a half-close (FIN one way, the other way untouched).
/// </summary>
/// <remarks>
/// Slicing and latency apply at once to every connection, open or new; the other faults apply to
/// the connections open when they are commanded, so that a test can watch the node recover over a
/// new connection through the same proxy.
/// </remarks>
internal sealed class FaultProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly EndPoint _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Channel<ProxyLink> _accepted = Channel.CreateUnbounded<ProxyLink>();
    private readonly Lock _lock = new();
    private readonly List<ProxyLink> _links = [];
    private readonly Task _accepting;
    private long _latencyTicks;
    private volatile bool _oneByteSlices;

    private FaultProxy(EndPoint target)
    {
        _target = target;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        _accepting = AcceptLoopAsync();
    }

    /// <summary>Where to connect to go through the proxy (127.0.0.1 and a free port).</summary>
    public IPEndPoint EndPoint { get; }

    public int Port => EndPoint.Port;

    /// <summary>Forward each byte as its own send (with Nagle off), in both directions.</summary>
    public bool OneByteSlices
    {
        get => _oneByteSlices;
        set => _oneByteSlices = value;
    }

    /// <summary>Delay added before forwarding each chunk read, in both directions; order is kept.</summary>
    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks));
        set => Interlocked.Exchange(ref _latencyTicks, value.Ticks);
    }

    /// <summary>Connections accepted so far, in order.</summary>
    public IReadOnlyList<ProxyLink> Links
    {
        get
        {
            lock (_lock)
            {
                return [.. _links];
            }
        }
    }

    public static FaultProxy Start(EndPoint target) => new(target);

    /// <summary>Waits for the next connection accepted (and connected on to the target).</summary>
    public async Task<ProxyLink> NextLinkAsync(TimeSpan? within = null)
    {
        using var timeout = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(10));
        return await _accepted.Reader.ReadAsync(timeout.Token);
    }

    /// <summary>Every open connection resets (both sides) once <paramref name="bytes"/> more have gone <paramref name="direction"/>; 0 resets now.</summary>
    public void ResetAfter(long bytes, ProxyDirection direction)
    {
        foreach (ProxyLink link in OpenLinks())
        {
            link.ResetAfter(bytes, direction);
        }
    }

    /// <summary>The open connections stop forwarding both ways: what arrives is read and dropped, FINs included; the sockets stay open.</summary>
    public void BlackHole()
    {
        foreach (ProxyLink link in OpenLinks())
        {
            link.BlackHole();
        }
    }

    /// <summary>Shuts down sending <paramref name="direction"/> on every open connection (a FIN that way; the other way flows on).</summary>
    public void HalfClose(ProxyDirection direction)
    {
        foreach (ProxyLink link in OpenLinks())
        {
            link.HalfClose(direction);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Dispose();
        await _accepting;
        foreach (ProxyLink link in Links)
        {
            link.Reset();
            await link.Ended;
        }

        _stopping.Dispose();
    }

    private ProxyLink[] OpenLinks() => [.. Links.Where(l => !l.Ended.IsCompleted)];

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && _stopping.IsCancellationRequested)
            {
                return; // disposed
            }

            var target = new Socket(_target.AddressFamily, SocketType.Stream, _target is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
            try
            {
                await target.ConnectAsync(_target, _stopping.Token);
            }
            catch (SocketException)
            {
                // The target is gone: the connecting side sees its connection reset, as it would without a proxy.
                client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                target.Dispose();
                continue;
            }

            client.NoDelay = true;
            if (target.ProtocolType == ProtocolType.Tcp)
            {
                target.NoDelay = true;
            }

            var link = new ProxyLink(this, client, target);
            lock (_lock)
            {
                _links.Add(link);
            }

            link.Start();
            _accepted.Writer.TryWrite(link);
        }
    }

    /// <summary>One proxied connection: two pumps, each forwarding one direction.</summary>
    internal sealed class ProxyLink
    {
        private readonly FaultProxy _proxy;
        private readonly Socket _client;
        private readonly Socket _target;
        private readonly Pump _toTarget;
        private readonly Pump _toClient;
        private readonly TaskCompletionSource _reset = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _closed;

        internal ProxyLink(FaultProxy proxy, Socket client, Socket target)
        {
            _proxy = proxy;
            _client = client;
            _target = target;
            _toTarget = new Pump(this, client, target);
            _toClient = new Pump(this, target, client);
        }

        /// <summary>Completes when both directions have stopped and the sockets are closed.</summary>
        public Task Ended { get; private set; } = Task.CompletedTask;

        /// <summary>Completes when the proxy has reset this connection.</summary>
        public Task WasReset => _reset.Task;

        /// <summary>Bytes forwarded <paramref name="direction"/> so far.</summary>
        public long BytesForwarded(ProxyDirection direction) => Interlocked.Read(ref PumpOf(direction).Forwarded);

        /// <summary>Sends made <paramref name="direction"/> so far (one per byte while slicing).</summary>
        public long Sends(ProxyDirection direction) => Interlocked.Read(ref PumpOf(direction).SendCount);

        /// <summary>Completes when the side the bytes come from has finished sending <paramref name="direction"/> (its FIN reached the proxy).</summary>
        public Task SourceFinished(ProxyDirection direction) => PumpOf(direction).SourceFinished.Task;

        internal void Start()
        {
            Ended = Task.WhenAll(_toTarget.RunAsync(), _toClient.RunAsync()).ContinueWith(_ => Close(), TaskScheduler.Default);
        }

        internal void ResetAfter(long bytes, ProxyDirection direction)
        {
            if (bytes == 0)
            {
                Reset();
                return;
            }

            Interlocked.Exchange(ref PumpOf(direction).ResetBudget, bytes);
        }

        internal void BlackHole()
        {
            _toTarget.Dropping = true;
            _toClient.Dropping = true;
        }

        internal void HalfClose(ProxyDirection direction) => PumpOf(direction).FinishDestination();

        /// <summary>Closes both sockets with SO_LINGER 0: each side gets RST, not FIN.</summary>
        internal void Reset()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            foreach (Socket socket in new[] { _client, _target })
            {
                socket.LingerState = new LingerOption(true, 0);
                socket.Dispose();
            }

            _reset.TrySetResult();
        }

        private Pump PumpOf(ProxyDirection direction) => direction == ProxyDirection.ToTarget ? _toTarget : _toClient;

        private void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                _client.Dispose();
                _target.Dispose();
            }
        }

        /// <summary>Reads from one socket and forwards to the other, applying the faults.</summary>
        private sealed class Pump(ProxyLink link, Socket source, Socket destination)
        {
            public long Forwarded;
            public long SendCount;
            public long ResetBudget;
            public volatile bool Dropping;
            public readonly TaskCompletionSource SourceFinished = new(TaskCreationOptions.RunContinuationsAsynchronously);
            private int _destinationFinished;

            public async Task RunAsync()
            {
                await Task.Yield();
                byte[] buffer = new byte[64 * 1024];
                try
                {
                    while (true)
                    {
                        int read = await source.ReceiveAsync(buffer, SocketFlags.None);
                        if (read == 0)
                        {
                            SourceFinished.TrySetResult();
                            if (!Dropping)
                            {
                                FinishDestination();
                            }

                            return;
                        }

                        if (!Dropping && Volatile.Read(ref _destinationFinished) == 0)
                        {
                            await ForwardAsync(buffer.AsMemory(0, read));
                        }
                    }
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // A reset, by the proxy or by either end: the link is over in this direction.
                    SourceFinished.TrySetResult();
                }
            }

            public void FinishDestination()
            {
                if (Interlocked.Exchange(ref _destinationFinished, 1) == 0)
                {
                    try
                    {
                        destination.Shutdown(SocketShutdown.Send);
                    }
                    catch (Exception e) when (e is SocketException or ObjectDisposedException)
                    {
                        // Already reset or closed: there is no sending side left to shut down.
                    }
                }
            }

            private async Task ForwardAsync(ReadOnlyMemory<byte> chunk)
            {
                TimeSpan latency = link._proxy.Latency;
                if (latency > TimeSpan.Zero)
                {
                    await Task.Delay(latency);
                }

                long budget = Interlocked.Read(ref ResetBudget);
                bool resetAfter = budget > 0 && budget <= chunk.Length;
                if (resetAfter)
                {
                    chunk = chunk[..(int)budget];
                }
                else if (budget > 0)
                {
                    Interlocked.Add(ref ResetBudget, -chunk.Length);
                }

                if (link._proxy.OneByteSlices)
                {
                    for (int i = 0; i < chunk.Length; i++)
                    {
                        await destination.SendAsync(chunk.Slice(i, 1), SocketFlags.None);
                        Interlocked.Increment(ref Forwarded);
                        Interlocked.Increment(ref SendCount);
                    }
                }
                else
                {
                    await destination.SendAsync(chunk, SocketFlags.None);
                    Interlocked.Add(ref Forwarded, chunk.Length);
                    Interlocked.Increment(ref SendCount);
                }

                if (resetAfter)
                {
                    link.Reset();
                }
            }
        }
    }
}
