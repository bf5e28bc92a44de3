using System.Diagnostics;
using System.Globalization;

namespace PeerEngine.Load.Workers;

/// <summary>
/// One worker child process as its coordinator sees it: started with redirected standard streams,
/// ready when it says so, told to go or stop, and — when it fails — summed up in one line.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<bool> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly List<string> _errors = [];

    private WorkerProcess(int index, Process process)
    {
        Index = index;
        _process = process;
    }

    public int Index { get; }

    public int Id => _process.Id;

    public static WorkerProcess Start(WorkerLauncher launcher, int index, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(launcher.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in launcher.Prefix.Concat(arguments))
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        var worker = new WorkerProcess(index, process);
        process.OutputDataReceived += (_, e) => worker.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => worker.OnError(e.Data);
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            process.Dispose();
            throw new WorkerFailedException($"worker {index} could not start ({launcher.FileName}): {e.Message}");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>True once the worker warmed up and waits to go; false when it ended before.</summary>
    public Task<bool> Ready => _ready.Task;

    public void Go() => Say(WorkerProtocol.Go);

    public void Stop() => Say(WorkerProtocol.Stop);

    /// <summary>Waits for the process to end (and its output to be read) and returns its exit code.</summary>
    public async Task<int> ExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>The failure in one line: which worker, its exit code, and what it said last on stderr.</summary>
    public string Failure(int exitCode)
    {
        string? said;
        lock (_gate)
        {
            // Its own one-line error if it printed one, else the first line of whatever it printed (a crash's exception).
            said = _errors.LastOrDefault(l => l.StartsWith("error: ", StringComparison.Ordinal))?["error: ".Length..] ?? _errors.FirstOrDefault();
        }

        string code = exitCode > 128 && !OperatingSystem.IsWindows()
            ? string.Create(CultureInfo.InvariantCulture, $"{exitCode} (killed by signal {exitCode - 128})")
            : exitCode.ToString(CultureInfo.InvariantCulture);
        return $"worker {Index} (pid {Id}) exited with code {code}" + (said is null ? "." : $": {said}");
    }

    /// <summary>Ends the process (and anything it started) if it still runs: a coordinator that gives up leaves no worker behind.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);

                // Reaped before the coordinator moves on: no worker lingers, not even as a zombie.
                _process.WaitForExit(TimeSpan.FromSeconds(5));
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
    }

    public void Dispose() => _process.Dispose();

    private void Say(string line)
    {
        try
        {
            _process.StandardInput.WriteLine(line);
            _process.StandardInput.Flush();
        }
        catch (IOException)
        {
            // The worker is gone; its exit code tells why.
        }
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            // End of its output: it exited (or closed stdout) without saying it was ready.
            _ready.TrySetResult(false);
        }
        else if (line == WorkerProtocol.Ready)
        {
            _ready.TrySetResult(true);
        }
    }

    private void OnError(string? line)
    {
        if (!string.IsNullOrWhiteSpace(line))
        {
            lock (_gate)
            {
                // The first lines name a crash, the last ones an error: keep both ends of a long trace.
                if (_errors.Count >= 64)
                {
                    _errors.RemoveAt(32);
                }

                _errors.Add(line.Trim());
            }
        }
    }
}
