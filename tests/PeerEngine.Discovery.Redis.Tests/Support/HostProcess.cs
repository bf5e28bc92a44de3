using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PeerEngine.Discovery.Redis.Tests.Support;

/// <summary>
/// The console host, <c>peerengine</c>, as a real child process (optionally through a launcher such
/// as <c>ip netns exec NS</c>, which becomes the host, so the pid is the host's). Killed on dispose.
/// </summary>
internal sealed class HostProcess : IDisposable
{
    private static readonly string HostDll = Path.Combine(AppContext.BaseDirectory, "PeerEngine.Host.dll");
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();

    private HostProcess(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(e.Data);
                }
            }
        };
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

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

    public static HostProcess Start(IReadOnlyList<string>? launcher, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(launcher is { Count: > 0 } ? launcher[0] : "dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (launcher is { Count: > 0 })
        {
            foreach (string word in launcher.Skip(1))
            {
                info.ArgumentList.Add(word);
            }

            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(HostDll);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // Nothing from the test's own environment chooses the discovery behind the test's back.
        info.Environment.Remove("PEERENGINE_DISCOVERY");
        info.Environment.Remove("PEERENGINE_REGISTRY");
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return new HostProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    public static HostProcess Start(params string[] args) => Start(null, null, args);

    /// <summary>Runs the host to its end: exit code, stdout, stderr, and how long it took.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr, TimeSpan Took)> RunAsync(IReadOnlyList<string>? launcher, params string[] args)
    {
        var clock = Stopwatch.StartNew();
        using HostProcess host = Start(launcher, null, args);
        host._process.StandardInput.Close();
        string stdout = await host._process.StandardOutput.ReadToEndAsync();
        int exit = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exit, stdout, host.Stderr, clock.Elapsed);
    }

    public static Task<(int ExitCode, string Stdout, string Stderr, TimeSpan Took)> RunAsync(params string[] args) => RunAsync(null, args);

    public async Task<string> ReadLineAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            string? line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
            return line ?? throw new InvalidOperationException($"the host closed stdout (exit {(_process.HasExited ? _process.ExitCode : -1)}): {Stderr}");
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no line from the host within {within.TotalSeconds} s: {Stderr}");
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public void Terminate() => Signal("TERM");

    /// <summary>SIGKILL: no unpublish, no goodbye.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {Id.ToString(CultureInfo.InvariantCulture)}") { UseShellExecute = false })
                         ?? throw new InvalidOperationException("kill did not start");
        kill.WaitForExit();
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
