using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PeerEngine.Load.Tests.Support;

/// <summary>
/// A `peerengine run` node (the console host, an echo peer) as a real child process on a loopback
/// port, with its own registry file so it meets no other test's peers. Killed on dispose.
/// </summary>
internal sealed class HostNode : IDisposable
{
    private static readonly string HostDll = Path.Combine(AppContext.BaseDirectory, "PeerEngine.Host.dll");
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private HostNode(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
    }

    /// <summary>A loopback port free a moment ago, for a node that must come back on the same one.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Starts a node listening on <paramref name="port"/> and returns once it says it listens.</summary>
    public static async Task<HostNode> StartAsync(int port, string registryPath)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { HostDll, "run", "--id", $"load-target-{port}", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--registry", registryPath })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("PEERENGINE_DISCOVERY");
        info.Environment.Remove("PEERENGINE_REGISTRY");
        var node = new HostNode(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            string? line = await node._process.StandardOutput.ReadLineAsync(timeout.Token);
            return line?.StartsWith("listening", StringComparison.Ordinal) == true
                ? node
                : throw new InvalidOperationException($"the node did not listen ({line}): {node.Stderr}");
        }
        catch
        {
            node.Dispose();
            throw;
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>Kills the node (SIGKILL: no goodbye to its peers) and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
