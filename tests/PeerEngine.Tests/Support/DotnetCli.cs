using System.Diagnostics;
using System.Text;

namespace PeerEngine.Tests.Support;

/// <summary>
/// Runs the .NET SDK's <c>dotnet</c> (pack, build, publish) and the programs it made as child
/// processes, as a user would.
/// </summary>
internal static class DotnetCli
{
    // A cold restore and build of a small project takes 20-40 s on the two-core CI machine.
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    /// <summary>Runs <c>dotnet ARGS</c> in <paramref name="workingDirectory"/> and fails the test, with its output, unless it succeeds.</summary>
    /// <returns>Its stdout and stderr, together.</returns>
    public static async Task<string> RunCheckedAsync(string workingDirectory, params string[] args)
    {
        (int exitCode, string stdout, string stderr) = await RunAsync("dotnet", workingDirectory, null, args);
        string output = stdout + stderr;
        Assert.True(exitCode == 0, $"dotnet {string.Join(' ', args)} exited with {exitCode}:\n{output}");
        return output;
    }

    /// <summary>Runs <paramref name="fileName"/> with <paramref name="args"/> to its end.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(
        string fileName, string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The test host may run with MSBuild's variables set by the outer build, which would point a
        // nested build at the outer one's state.
        foreach (string name in info.Environment.Keys.Where(n => n.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        using Process process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start");
        process.StandardInput.Close();
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        Task reading = Task.WhenAll(CopyAsync(process.StandardOutput, stdout), CopyAsync(process.StandardError, stderr));
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} ran longer than {Timeout.TotalMinutes} min:\n{stdout}{stderr}");
        }

        await reading;
        return (process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static async Task CopyAsync(StreamReader reader, StringBuilder output)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            output.AppendLine(line);
        }
    }
}
