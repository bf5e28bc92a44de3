using System.Diagnostics;

namespace PeerEngine.Benchmarks.EndToEnd.Runner;

/// <summary>
/// A server or client process of the runner: this same executable in another mode, pinned to one
/// core with <c>taskset</c> when there is more than one, driven by lines on its standard input.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    /// <summary>The runtime settings a configuration may set; cleared unless the configuration sets them.</summary>
    public static readonly string[] RuntimeVariables =
    [
        "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit",
        "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS",
        "DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION",
    ];

    private readonly Process _process;

    private ChildProcess(Process process) => _process = process;

    public static bool CanPin { get; } = Environment.ProcessorCount >= 2 && File.Exists("/usr/bin/taskset");

    public static ChildProcess Start(int? core, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        string self = Environment.ProcessPath ?? "dotnet";
        var command = new List<string>();
        if (core is { } pinned && CanPin)
        {
            command.AddRange(["taskset", "-c", pinned.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        command.Add(self);
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            command.Add(typeof(ChildProcess).Assembly.Location);
        }

        command.Add("e2e");
        command.AddRange(arguments);
        var start = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (string argument in command.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (string variable in RuntimeVariables)
        {
            start.Environment.Remove(variable);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}."));
    }

    public void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Reads lines until one starts with <paramref name="prefix"/>; an <c>ERROR</c> line or the end of output throws.</summary>
    public string Expect(string prefix)
    {
        while (true)
        {
            string line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"The child process ended while '{prefix}' was expected.");
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return line;
            }

            if (line.StartsWith("ERROR", StringComparison.Ordinal))
            {
                throw new InvalidOperationException(line);
            }
        }
    }

    public void Dispose()
    {
        try
        {
            Send("exit");
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (IOException)
        {
            // Already gone.
        }

        _process.Dispose();
    }
}
