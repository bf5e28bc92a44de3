using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PeerEngine.Tests.Support;

/// <summary>
/// One real child process running PeerEngine.RegistryPeer (<c>dotnet PeerEngine.RegistryPeer.dll MODE ...</c>).
/// Killed on dispose if still running.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private static readonly string PeerDll = Path.Combine(AppContext.BaseDirectory, "PeerEngine.RegistryPeer.dll");
    private static readonly string HostDll = Path.Combine(AppContext.BaseDirectory, "PeerEngine.Host.dll");
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private bool _disposed;

    private ChildProcess(Process process)
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

    /// <summary>Starts the registry peer program (tests/PeerEngine.RegistryPeer) with <paramref name="args"/>.</summary>
    public static ChildProcess Start(IReadOnlyDictionary<string, string>? environment, params string[] args) => StartDll(PeerDll, environment, args);

    /// <summary>
    /// Starts the registry peer program under an open-file limit of <paramref name="fileLimit"/>
    /// (soft and hard, set by <c>prlimit</c>, which then becomes the program: the pid is the child's).
    /// </summary>
    public static ChildProcess StartWithFileLimit(int fileLimit, params string[] args) =>
        StartDll(PeerDll, null, args, FileLimit(fileLimit));

    /// <summary>A launcher that runs the program under an open-file limit of <paramref name="limit"/> (soft and hard).</summary>
    public static string[] FileLimit(int limit) => ["prlimit", FormattableString.Invariant($"--nofile={limit}:{limit}")];

    /// <summary>A launcher that runs the program as the unprivileged user nobody (65534), with no supplementary groups.</summary>
    public static string[] AsNobody { get; } = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

    /// <summary>Starts the console host, `peerengine`, with <paramref name="args"/>.</summary>
    public static ChildProcess StartHost(IReadOnlyDictionary<string, string>? environment, params string[] args) => StartDll(HostDll, environment, args);

    /// <summary>
    /// Starts the console host through <paramref name="launcher"/>, a command that becomes the host
    /// (prlimit, setpriv, env -u NAME...), so the pid is the host's.
    /// </summary>
    public static ChildProcess StartHostUnder(IReadOnlyList<string> launcher, params string[] args) => StartDll(HostDll, null, args, launcher);

    /// <summary>Runs the console host to completion: exit code, stdout, stderr.</summary>
    /// <summary>Runs a mode of the peer program to its end: its exit code and all it wrote.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunPeerAsync(params string[] args) => RunToEndAsync(Start(null, args));

    public static Task<(int ExitCode, string Stdout, string Stderr)> RunHostAsync(IReadOnlyDictionary<string, string>? environment, params string[] args) =>
        RunToEndAsync(StartHost(environment, args));

    /// <summary>Runs the console host through <paramref name="launcher"/> to completion: exit code, stdout, stderr.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunHostUnderAsync(IReadOnlyList<string> launcher, params string[] args) =>
        RunToEndAsync(StartHostUnder(launcher, args));

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunToEndAsync(ChildProcess started)
    {
        using ChildProcess host = started;
        host._process.StandardInput.Close();
        string stdout = await host._process.StandardOutput.ReadToEndAsync();
        int exitCode = await host.WaitForExitAsync();
        return (exitCode, stdout, host.Stderr);
    }

    /// <summary>SIGTERM, as a service manager stops a process.</summary>
    public void Terminate() => Signal("TERM");

    /// <summary>SIGINT, as Ctrl+C in a terminal.</summary>
    public void Interrupt() => Signal("INT");

    private static ChildProcess StartDll(string dll, IReadOnlyDictionary<string, string>? environment, string[] args, IReadOnlyList<string>? launcher = null)
    {
        var info = new ProcessStartInfo(launcher is null ? "dotnet" : launcher[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (launcher is not null)
        {
            foreach (string word in launcher.Skip(1))
            {
                info.ArgumentList.Add(word);
            }

            info.ArgumentList.Add("dotnet");
        }

        info.ArgumentList.Add(dll);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        return new ChildProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    public static ChildProcess Start(params string[] args) => Start(null, args);

    /// <summary>Waits for the next stdout line (the child's "ready ..." or a result) and returns it.</summary>
    public async Task<string> ReadLineAsync()
    {
        using var timeout = new CancellationTokenSource(ReadyTimeout);
        string? line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
        return line ?? throw new InvalidOperationException($"peer {Id} closed stdout (exit {(_process.HasExited ? _process.ExitCode : -1)}): {Stderr}");
    }

    /// <summary>Waits for the "ready" line.</summary>
    public async Task<ChildProcess> ReadyAsync()
    {
        string line = await ReadLineAsync();
        Assert.StartsWith($"ready {Id.ToString(CultureInfo.InvariantCulture)}", line, StringComparison.Ordinal);
        return this;
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

    /// <summary>SIGKILL (what <see cref="Process.Kill()"/> sends on Linux), then reaps the child.</summary>
    public void Kill()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public void Stop() => Signal("STOP");

    public void Continue() => Signal("CONT");

    /// <summary>Closes the child's stdin, its cue to unpublish and exit, and waits for the exit code.</summary>
    public async Task<int> ExitGracefullyAsync()
    {
        _process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(ReadyTimeout);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async Task<int> WaitForExitAsync()
    {
        using var timeout = new CancellationTokenSource(ReadyTimeout);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {Id.ToString(CultureInfo.InvariantCulture)}") { UseShellExecute = false })
                         ?? throw new InvalidOperationException("kill did not start");
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
