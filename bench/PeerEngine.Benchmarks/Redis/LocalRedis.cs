using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PeerEngine.Benchmarks.Redis;

/// <summary>A redis-server of the benchmark's own on a free loopback port, no persistence; killed and its folder deleted on dispose.</summary>
internal sealed class LocalRedis : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("peerengine-bench-redis-").FullName;
    private readonly Process _process;

    public LocalRedis()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var info = new ProcessStartInfo("redis-server") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (string word in new[] { "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _folder, "--save", "", "--appendonly", "no", "--maxclients", "20000" })
        {
            info.ArgumentList.Add(word);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start (apt-get install redis-server)");
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        for (int i = 0; i < 200; i++)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(10);
            }
        }

        throw new InvalidOperationException("redis-server did not listen within 2 s");
    }

    public int Port { get; }

    public int ProcessId => _process.Id;

    public string Address => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>The server's CPU time so far (user + system), from /proc.</summary>
    public TimeSpan CpuTime()
    {
        string[] fields = File.ReadAllText($"/proc/{ProcessId}/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
