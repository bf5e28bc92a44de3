using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.Versioning;
using PeerEngine.Buffers;
using PeerEngine.Connections;
using PeerEngine.Node.Internal;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Node;

/// <summary>
/// Peers of one registry file are on one machine: with no configuration, each listens on a Unix
/// socket of its own beside the file, and the others reach it through shared memory, not TCP.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SameMachineTransportTests
{
    [Fact]
    public async Task Peers_of_one_registry_reach_each_other_over_shared_memory_with_no_configuration()
    {
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("client");
        PeerNode server = await cluster.StartAsync("server");
        await NodeCluster.SeeEachOtherAsync(client, server);

        using PooledPayload answer = await client.RequestAsync("server", "same machine"u8.ToArray());

        Assert.Equal("server:same machine"u8.ToArray(), answer.ToArray());
        string socket = Assert.IsType<string>(server.UnixSocketPath);
        Assert.Equal(Path.GetDirectoryName(cluster.RegistryPath), Path.GetDirectoryName(socket));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
        Assert.Equal(socket, client.Peers.Single(p => p.Id == "server").UnixPath);
        PeerListener unix = server.Listeners.Single(l => l.EndPoint is UnixDomainSocketEndPoint);
        PeerConnection served = Assert.Single(unix.Connections);
        Assert.EndsWith(".shm", served.RemoteEndPoint!.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, server.Listeners.Single(l => l != unix).ConnectionCount);

        await server.StopAsync();
        Assert.False(File.Exists(socket), "the socket is removed when the node stops");
        Assert.False(File.Exists(socket + ".shm"), "the shared-memory setup socket too");
    }

    [Fact]
    public async Task A_node_told_not_to_have_a_unix_socket_is_reached_over_tcp()
    {
        await using var cluster = new NodeCluster();
        PeerNode client = await cluster.StartAsync("client");
        PeerNode server = await cluster.StartAsync("server", o => o.AutomaticUnixSocket = false);
        await NodeCluster.SeeEachOtherAsync(client, server);

        using PooledPayload answer = await client.RequestAsync("server", "tcp"u8.ToArray());

        Assert.Equal("server:tcp"u8.ToArray(), answer.ToArray());
        Assert.Null(server.UnixSocketPath);
        Assert.Equal(1, Assert.Single(server.Listeners).ConnectionCount);
        string clientSocket = Assert.IsType<string>(client.UnixSocketPath);
        Assert.Equal([clientSocket, clientSocket + ".shm"], Directory.GetFiles(Path.GetDirectoryName(cluster.RegistryPath)!, "peer-*").Order());
    }

    [Fact]
    public async Task A_node_removes_the_sockets_that_killed_nodes_left_and_no_other_file()
    {
        await using var cluster = new NodeCluster();
        string folder = Path.GetDirectoryName(cluster.RegistryPath)!;
        int dead = await DeadProcessIdAsync();
        string stale = Path.Combine(folder, $"peer-{dead}-1.sock");
        string staleSetup = stale + ".shm";
        BindAndAbandon(stale);
        BindAndAbandon(staleSetup);
        string notASocket = Path.Combine(folder, $"peer-{dead}-2.sock");
        await File.WriteAllTextAsync(notASocket, "a regular file");
        string ofALiveProcess = Path.Combine(folder, $"peer-{Environment.ProcessId}-999999.sock");
        BindAndAbandon(ofALiveProcess);

        Assert.All([stale, staleSetup, notASocket, ofALiveProcess], path => Assert.True(File.Exists(path), path));

        await cluster.StartAsync("sweeper");

        Assert.False(File.Exists(stale), "a dead process's socket is removed");
        Assert.False(File.Exists(staleSetup), "and its setup socket");
        Assert.True(File.Exists(notASocket), "a file that is not a socket is never removed");
        Assert.True(File.Exists(ofALiveProcess), "a live process's socket is never removed, even one nobody listens on yet");
    }

    [Fact]
    public async Task A_registry_folder_too_deep_for_a_socket_path_leaves_the_node_on_tcp_saying_why()
    {
        using var folder = new TempFolder();
        string deep = Path.Combine(folder.FolderPath, new string('d', 100));
        Directory.CreateDirectory(deep);
        using var logs = new RecordingLoggerFactory();
        var options = new PeerNodeOptions { NodeId = "deep", Registry = new PeerRegistryOptions { Path = Path.Combine(deep, "registry.bin") } };
        await using var node = new PeerNode(options, loggerFactory: logs);

        await node.StartAsync();

        Assert.Null(node.UnixSocketPath);
        Assert.Single(node.Listeners);
        Assert.True(logs.Has(311, "longer than a Unix socket path may be"), logs.Dump());
    }

    [Theory]
    [InlineData("peer-1234-1.sock", 1234)]
    [InlineData("peer-1234-17.sock.shm", 1234)]
    [InlineData("peer--1.sock", null)]
    [InlineData("peer-x-1.sock", null)]
    [InlineData("peer-0-1.sock", null)]
    [InlineData("registry.bin", null)]
    public void A_socket_name_tells_its_owner_process(string name, int? pid) =>
        Assert.Equal(pid, NodeUnixSockets.OwnerProcess(name));

    /// <summary>
    /// A socket file as a killed process leaves it: bound and never unlinked. Moved away from where it
    /// was bound, because disposing a socket removes the file it bound.
    /// </summary>
    private static void BindAndAbandon(string path)
    {
        string bound = path + ".binding";
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(bound));
        File.Move(bound, path);
    }

    private static async Task<int> DeadProcessIdAsync()
    {
        using Process process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        int pid = process.Id;
        await process.WaitForExitAsync();
        Assert.False(Directory.Exists(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}")), "the process is gone");
        return pid;
    }
}
