using System.Buffers;
using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PeerEngine.Connections;
using PeerEngine.Hosting;
using PeerEngine.Node;
using PeerEngine.Registry;

namespace PeerEngine.Host.Commands;

/// <summary><c>peerengine run</c>: one node, hosted, until SIGINT or SIGTERM.</summary>
internal static class RunCommand
{
    // An idle `run` holds about 135 descriptors (measured: the runtime, the hosting's configuration
    // watchers, the socket engine), and the node keeps 64 below its connection cap for later needs;
    // at 256 about 55 connections fit. At 128 the start itself failed, at 160 no connection fitted.
    private const int MinimumFileLimit = 256;

    // Read as a sequence: a large payload spans blocks of the receive buffer, and is then copied once, into the answer.
    private static readonly RequestHandler Echo = static (request, _) =>
    {
        ReadOnlySequence<byte> payload = request.PayloadSequence;
        payload.CopyTo(request.Response.GetSpan((int)payload.Length));
        request.Response.Advance((int)payload.Length);
        return ValueTask.CompletedTask;
    };

    public static Command Create()
    {
        Option<string?> id = Settings.Text("--id", "The node id; generated when not given.");
        Option<string> host = Settings.FromEnvironment("--host", "The address to listen on.", "127.0.0.1", text => text);
        Option<int> port = Settings.Integer("--port", "The TCP port; 0 picks a free one.", 0);
        Option<string> registry = Settings.Registry();
        Option<string?> discovery = DiscoveryAccess.Option();
        Option<string?> advertise = Settings.Text("--advertise", "The address other machines dial to reach this node, if not --host: an IP address or a DNS name.");
        Option<string> handler = Settings.FromEnvironment("--handler", "What answers requests: echo.", "echo", text => text);
        handler.AcceptOnlyFromAmong("echo");
        Option<string?> unix = Settings.Text("--unix", "Also listen on this Unix domain socket path, instead of a socket of its own beside the registry file.");
        var tcpOnly = new Option<bool>("--no-unix") { Description = "Listen on TCP only: no Unix socket and no shared memory for the peers of this machine." };
        Option<int> maxPayload = Settings.Integer("--max-payload", "The largest payload accepted, in bytes.", 1024 * 1024);
        Option<double> handshake = Settings.Seconds("--handshake-timeout", "Time for a peer's HELLO", 5);
        Option<double> keepAliveInterval = Settings.Seconds("--keepalive-interval", "Silence before a PING", 15);
        Option<double> keepAliveTimeout = Settings.Seconds("--keepalive-timeout", "Silence before closing", 45);
        Option<double> drain = Settings.Seconds("--drain-timeout", "Time for in-flight work at shutdown", 10);
        Option<int> protocolVersion = Settings.Integer("--protocol-version", "The highest protocol version spoken: 2 (trace context, each side's maximum payload) or 1.", 2);

        var command = new Command("run", "Start a node, publish it, serve until SIGINT or SIGTERM, then stop gracefully.")
        {
            id, host, port, registry, discovery, advertise, handler, unix, tcpOnly, maxPayload, handshake, keepAliveInterval, keepAliveTimeout, drain, protocolVersion,
        };
        var tls = new TlsSettings();
        tls.AddTo(command);
        command.SetAction(async (result, cancellationToken) =>
        {
            RequireFileLimit();
            DiscoveryAccess where = DiscoveryAccess.Resolve(result, registry, discovery);
            TimeSpan drainTimeout = Settings.ToTimeSpan(result.GetValue(drain), "--drain-timeout");
            if (result.GetValue(tcpOnly) && result.GetValue(unix) is not null)
            {
                throw CliException.Usage("--unix and --no-unix exclude each other");
            }

            var options = new PeerNodeOptions
            {
                NodeId = result.GetValue(id),
                Host = result.GetValue(host)!,
                Port = result.GetValue(port),
                UnixSocketPath = result.GetValue(unix),
                AutomaticUnixSocket = !result.GetValue(tcpOnly),
                AdvertiseHost = result.GetValue(advertise),
                Registry = new PeerRegistryOptions { Path = where.RegistryPath },
                Connections = new PeerConnectionOptions
                {
                    MaxPayloadLength = result.GetValue(maxPayload),
                    HandshakeTimeout = Settings.ToTimeSpan(result.GetValue(handshake), "--handshake-timeout"),
                    KeepAliveInterval = Settings.ToTimeSpan(result.GetValue(keepAliveInterval), "--keepalive-interval"),
                    KeepAliveTimeout = Settings.ToTimeSpan(result.GetValue(keepAliveTimeout), "--keepalive-timeout"),
                    DrainTimeout = drainTimeout,
                    ProtocolVersion = result.GetValue(protocolVersion),
                },
                Tls = tls.Read(result),
            };
            Validate(options, new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [nameof(PeerNodeOptions.NodeId)] = id.Name,
                [nameof(PeerNodeOptions.Host)] = host.Name,
                [nameof(PeerNodeOptions.Port)] = port.Name,
                [nameof(PeerNodeOptions.AdvertiseHost)] = advertise.Name,
                [nameof(PeerNodeOptions.UnixSocketPath)] = unix.Name,
                [nameof(PeerConnectionOptions.MaxPayloadLength)] = maxPayload.Name,
                [nameof(PeerConnectionOptions.HandshakeTimeout)] = handshake.Name,
                [nameof(PeerConnectionOptions.KeepAliveInterval)] = keepAliveInterval.Name,
                [nameof(PeerConnectionOptions.KeepAliveTimeout)] = keepAliveTimeout.Name,
                [nameof(PeerConnectionOptions.DrainTimeout)] = drain.Name,
                [nameof(PeerConnectionOptions.ProtocolVersion)] = protocolVersion.Name,
            });
            if (where.Redis is not null)
            {
                RequireDialableAddress(options, where);
            }

            if (options.Tls is not null)
            {
                options.NodeId = await TlsSettings.CheckAsync(options);
            }

            return await RunAsync(options, where, drainTimeout, cancellationToken);
        });
        return command;
    }

    /// <summary>
    /// Refuses to start under an open-file limit the runtime cannot live with: there it fails on a
    /// file it needs (an assembly, a configuration watcher, the socket engine's epoll) with a stack
    /// trace, at a different place for each limit.
    /// </summary>
    private static void RequireFileLimit()
    {
        if (OpenFileLimit.Soft() is { } limit && limit < MinimumFileLimit)
        {
            throw CliException.Usage(string.Create(CultureInfo.InvariantCulture, $"the open-file limit is {limit} (ulimit -n); peerengine run needs at least {MinimumFileLimit}"));
        }
    }

    /// <summary>
    /// The library's checks, their errors reworded: they name properties ("Option Port must be..."),
    /// a person typed options, so each property in <paramref name="optionNames"/> becomes its option.
    /// </summary>
    private static void Validate(PeerNodeOptions options, Dictionary<string, string> optionNames)
    {
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            string message = e.Message.Split(" (Parameter", 2)[0];
            message = Regex.Replace(message, @"^Option ", "");
            message = Regex.Replace(message, @"\b[A-Z][A-Za-z]*\b", word => optionNames.GetValueOrDefault(word.Value, word.Value));
            throw CliException.Usage(RegistryAccess.OneLine(message));
        }
    }

    /// <summary>
    /// A store shared by several machines must hold an address they can dial: a wildcard host needs
    /// --advertise, and a loopback one is refused unless Redis itself is on this machine only.
    /// </summary>
    private static void RequireDialableAddress(PeerNodeOptions options, DiscoveryAccess where)
    {
        string published = options.AdvertiseHost ?? options.Host;
        IPAddress? address = IPAddress.TryParse(published.Trim('[', ']'), out IPAddress? parsed) ? parsed : null;
        if (options.AdvertiseHost is null && address is not null && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)))
        {
            throw CliException.Usage($"--host {options.Host} listens on every interface: with --discovery redis://, --advertise must name the address other machines dial");
        }

        bool loopback = address is not null ? IPAddress.IsLoopback(address) : published.Equals("localhost", StringComparison.OrdinalIgnoreCase);
        if (loopback && !where.RedisIsLocal())
        {
            throw CliException.Usage($"{(options.AdvertiseHost is null ? "--host" : "--advertise")} {published} is a loopback address, which other machines sharing Redis at {where.Redis!.Configuration} cannot dial; use --advertise with this machine's address");
        }
    }

    private static async Task<int> RunAsync(PeerNodeOptions options, DiscoveryAccess where, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Logging.ClearProviders();

        // Logs go to stderr, so that stdout carries only the listening line.
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);

        // A failed start is reported as one line below; the host's own account of it is a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        builder.Services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = drainTimeout + TimeSpan.FromSeconds(5));
        IPeerEngineBuilder engine = builder.Services.AddPeerEngine(node =>
        {
            node.NodeId = options.NodeId;
            node.Host = options.Host;
            node.Port = options.Port;
            node.AdvertiseHost = options.AdvertiseHost;
            node.UnixSocketPath = options.UnixSocketPath;
            node.AutomaticUnixSocket = options.AutomaticUnixSocket;
            node.Registry = options.Registry;
            node.Connections = options.Connections;
            node.Tls = options.Tls;
        }).HandleRequests(Echo);

        // Debug logging (Logging__LogLevel__PeerEngine=Debug) shows each connection's protocol version
        // and each finished span with its trace and parent ids.
        builder.Services.AddHostedService<SpanLog>();

        if (where.Redis is { } redis)
        {
            // Redis that cannot be reached is waited for: the node is published (and its listening
            // line printed) once it answers.
            engine.UseRedisDiscovery(o =>
            {
                o.Configuration = redis.Configuration;
                o.Cluster = redis.Cluster;
            });
        }
        else
        {
            // A foreign or corrupt registry is bad input, found before anything starts.
            RegistryAccess.Open(options.Registry.Path!).Dispose();
        }

        using IHost host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (PeerRegistryException e)
        {
            throw CliException.Usage(RegistryAccess.OneLine(e.Message));
        }
        catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException socket)
        {
            throw CliException.Usage($"cannot listen on {Endpoints.Format(options.Host, options.Port)}: {socket.Message}");
        }
        catch (ArgumentException e) when (where.Redis is not null)
        {
            // The discovery refused the address to publish (see RequireDialableAddress).
            throw CliException.Usage(RegistryAccess.OneLine(e.Message));
        }

        PeerNode node = host.Services.GetRequiredService<PeerNode>();
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"listening {Endpoints.Format(node.TcpEndPoint!)} id={node.Id}"));
        Console.Out.Flush();

        // The host's console lifetime turns SIGINT/SIGTERM into a graceful stop: GOODBYE, drain, unpublish.
        await host.WaitForShutdownAsync(CancellationToken.None);
        return ExitCodes.Success;
    }
}
