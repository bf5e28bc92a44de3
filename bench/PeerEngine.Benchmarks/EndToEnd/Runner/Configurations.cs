namespace PeerEngine.Benchmarks.EndToEnd.Runner;

/// <summary>A load shape: C connections, D requests in flight on each, payloads of P bytes.</summary>
internal sealed record Scenario(string Name, int Connections, int Depth, int PayloadLength)
{
    public static readonly Scenario[] All =
    [
        new("latency", 1, 1, 64),
        new("pipelined", 1, 64, 64),
        new("many connections", 64, 4, 64),
        new("large", 4, 4, 64 * 1024),
    ];
}

/// <summary>A server process: a stack with the runtime settings it runs under.</summary>
internal sealed record ServerSpec(string Stack, string Settings, IReadOnlyDictionary<string, string> Environment)
{
    public const string Shipped = "as shipped";
    public const string Tuned = "spin limit 0";
    public const string LowLatency = "low-latency";
    public const string LargerPool = "spin limit 0, pool 1024";
    public const string InlineCompletions = "spin limit 0, inline completions";
    public const string Handoff = "handlers handed to the pool";

    /// <summary>Tells the PeerEngine server to hand each receive's handlers to the thread pool (<see cref="Connections.PeerConnectionOptions.InlineHandlers"/> off).</summary>
    public const string HandoffVariable = "E2E_HAND_OFF_HANDLERS";

    /// <summary>
    /// The thread pool's idle spinning keeps a server's single core busy whatever the load (0.99 busy at
    /// 18,000 requests a second where spin limit 0 uses half of it): turn it off.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> NoSpinning = new Dictionary<string, string>
    {
        ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
    };

    /// <summary>No spinning, and socket completions run inline on the epoll thread instead of being queued to the pool.</summary>
    public static readonly IReadOnlyDictionary<string, string> Inline = new Dictionary<string, string>
    {
        ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
        ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1",
    };

    /// <summary>
    /// No spinning, and ArrayPool.Shared keeps up to 1,024 arrays per size per core instead of 32:
    /// pinned to one core, the shared pool has one partition, and more than 32 buffers of one size in
    /// flight (64 requests' payload and response copies, 64 connections' pipe blocks) overflow it, so
    /// every rent beyond that allocates. The knob is read from the environment only.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> NoSpinningLargerPool = new Dictionary<string, string>
    {
        ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
        ["DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION"] = "1024",
    };

    public string Key => $"{Stack} ({Settings})";

    /// <summary>Mutual TLS 1.3 over TCP: the client speaks TLS with the certificates in <see cref="TlsFiles"/>.</summary>
    public bool IsTls => Stack == "peerengine-tls";
}

/// <summary>How the client reaches a server.</summary>
internal enum Route
{
    Tcp,
    UnixSocket,

    /// <summary>The rings of the PeerEngine transport, set up over the server's Unix socket.</summary>
    SharedMemory,
}

/// <summary>What the client connects to: a server and which of its endpoints.</summary>
internal sealed record Target(ServerSpec Server, Route Route = Route.Tcp)
{
    public string Label => $"{Name} ({Server.Settings})";

    /// <summary>The stack and the route, as <c>--stacks</c> names it: <c>peerengine-unix</c>, <c>peerengine-shm</c>.</summary>
    public string Name => Route switch
    {
        Route.UnixSocket => Server.Stack + "-unix",
        Route.SharedMemory => Server.Stack + "-shm",
        _ => Server.Stack,
    };

    public bool IsPeerEngine => Server.Stack.StartsWith("peerengine", StringComparison.Ordinal);

    public bool IsTls => Server.IsTls;

    public static IReadOnlyList<Target> All()
    {
        var targets = new List<Target>();
        foreach ((string settings, IReadOnlyDictionary<string, string> environment) in new[]
        {
            (ServerSpec.Shipped, (IReadOnlyDictionary<string, string>)new Dictionary<string, string>()),
            (ServerSpec.Tuned, ServerSpec.NoSpinning),
        })
        {
            foreach (string stack in new[] { "plain", "kestrel", "dotnetty", "peerengine" })
            {
                var server = new ServerSpec(stack, settings, environment);
                targets.Add(new Target(server));
                if (stack == "peerengine")
                {
                    targets.Add(new Target(server, Route.UnixSocket));
                    targets.Add(new Target(server, Route.SharedMemory));
                    targets.Add(new Target(server with { Stack = "peerengine-tls" }));
                }
            }
        }

        targets.Add(new Target(new ServerSpec("peerengine", ServerSpec.LargerPool, ServerSpec.NoSpinningLargerPool)));
        targets.Add(new Target(new ServerSpec("peerengine-tls", ServerSpec.LargerPool, ServerSpec.NoSpinningLargerPool)));
        targets.Add(new Target(new ServerSpec("peerengine", ServerSpec.InlineCompletions, ServerSpec.Inline)));
        targets.Add(new Target(new ServerSpec("peerengine", ServerSpec.Handoff, new Dictionary<string, string> { [ServerSpec.HandoffVariable] = "1" })));
        targets.Add(new Target(new ServerSpec("peerengine-lowlat", ServerSpec.LowLatency, ServerSpec.Inline)));
        return targets;
    }
}

/// <summary>One measured run of one target in one scenario.</summary>
/// <param name="ServerCores">The server's CPU time over the measured time: how busy its one core was.</param>
/// <param name="ClientCores">The same for the client. When neither is near 1, throughput is bound by the
/// turnaround of each batch (wake-ups, syscalls) rather than by either side's work.</param>
internal sealed record Measurement(double RequestsPerSecond, double P50, double P99, double P999, double AllocatedPerRequest, double CpuPerRequest, double ServerCores, double ClientCores);
