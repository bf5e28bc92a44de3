using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace PeerEngine.Discovery.Redis.Tests.Support;

/// <summary>
/// A real redis-server of the test's own: a free loopback port, its own data folder, no persistence
/// (a restart is a restart that lost its data, the case discovery must survive). Stopped and its
/// folder deleted on dispose. A machine without redis-server fails the test, saying what to install.
/// </summary>
internal sealed class RedisServer : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("peerengine-redis-").FullName;
    private readonly string[] _launcher;
    private Process? _process;

    private RedisServer(string bindAddress, int port, string[] launcher)
    {
        BindAddress = bindAddress;
        Port = port;
        _launcher = launcher;
    }

    public string BindAddress { get; }

    public int Port { get; }

    /// <summary><c>HOST:PORT</c>, as StackExchange.Redis and the URI take it.</summary>
    public string Address => string.Create(CultureInfo.InvariantCulture, $"{BindAddress}:{Port}");

    public string Uri(string cluster) => $"redis://{Address}/{cluster}";

    /// <summary>Starts a server on a free loopback port.</summary>
    public static RedisServer Start()
    {
        var server = new RedisServer("127.0.0.1", FreePort(), []);
        server.Restart();
        return server;
    }

    /// <summary>Starts a server through <paramref name="launcher"/> (e.g. <c>ip netns exec NS</c>) bound to <paramref name="bindAddress"/>.</summary>
    public static RedisServer StartUnder(string[] launcher, string bindAddress, int port)
    {
        var server = new RedisServer(bindAddress, port, launcher);
        server.Restart();
        return server;
    }

    public static string Executable()
    {
        foreach (string folder in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(':').Append("/usr/bin").Append("/usr/sbin"))
        {
            string candidate = Path.Combine(folder, "redis-server");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail("redis-server is not installed: these tests run a real Redis (apt-get install redis-server; ./test.sh installs it).");
        return "";
    }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts the server (again), empty: no persistence, so a restart lost every key.</summary>
    public void Restart()
    {
        Assert.False(IsRunning, "the Redis server is already running");
        string redis = Executable();
        var info = new ProcessStartInfo(_launcher.Length > 0 ? _launcher[0] : redis)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string word in _launcher.Skip(1))
        {
            info.ArgumentList.Add(word);
        }

        if (_launcher.Length > 0)
        {
            info.ArgumentList.Add(redis);
        }

        foreach (string word in new[]
                 {
                     "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", BindAddress, "--dir", _folder,
                     "--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no", "--loglevel", "warning",
                 })
        {
            info.ArgumentList.Add(word);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitUntilServing();
    }

    /// <summary>Kills the server (SIGKILL): every connection to it breaks, and its data is gone.</summary>
    public void Stop()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>
    /// Sends one command and returns the reply: raw RESP on loopback; redis-cli's output for a server
    /// inside a network namespace, where only redis-cli run in that namespace reaches it.
    /// </summary>
    public string Command(params string[] words)
    {
        if (_launcher.Length > 0)
        {
            (_, string output, _) = NetworkLab.Run(_launcher[0], [.. _launcher.Skip(1), "redis-cli", "-h", BindAddress, "-p", Port.ToString(CultureInfo.InvariantCulture), .. words]);
            return output;
        }

        using var client = new TcpClient();
        client.Connect(IPAddress.Parse(BindAddress), Port);
        client.ReceiveTimeout = 5000;
        var request = new StringBuilder();
        request.Append(CultureInfo.InvariantCulture, $"*{words.Length}\r\n");
        foreach (string word in words)
        {
            request.Append(CultureInfo.InvariantCulture, $"${Encoding.UTF8.GetByteCount(word)}\r\n{word}\r\n");
        }

        NetworkStream stream = client.GetStream();
        stream.Write(Encoding.UTF8.GetBytes(request.ToString()));
        byte[] buffer = new byte[64 * 1024];
        int read = stream.Read(buffer);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    private void WaitUntilServing()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (_process!.HasExited)
            {
                Assert.Fail($"redis-server exited at start with code {_process.ExitCode}");
            }

            try
            {
                if (Command("PING").Contains("PONG", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (SocketException)
            {
                // Not listening yet.
            }
            catch (IOException)
            {
                // Not answering yet.
            }

            Thread.Sleep(10);
        }

        Assert.Fail($"redis-server did not answer PING on {Address} within 20 s");
    }

    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        Stop();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still being closed: the temp folder is cleaned by the system.
        }
    }
}
