namespace PeerEngine.Load.Workers;

/// <summary>How to start another process of this very tool: its app host, or <c>dotnet PeerEngine.Load.dll</c>.</summary>
internal sealed record WorkerLauncher(string FileName, IReadOnlyList<string> Prefix)
{
    public static WorkerLauncher ForThisTool()
    {
        string dll = typeof(WorkerLauncher).Assembly.Location;
        if (dll.Length == 0)
        {
            // A single-file build has no assembly on disk: the process is the tool.
            return new WorkerLauncher(Environment.ProcessPath ?? throw new WorkerFailedException("cannot tell this tool's executable to start workers."), []);
        }

        // The app host sits beside the assembly in a build's output (also when tests reference the tool).
        string appHost = Path.ChangeExtension(dll, OperatingSystem.IsWindows() ? ".exe" : null);
        if (File.Exists(appHost))
        {
            return new WorkerLauncher(appHost, []);
        }

        string? process = Environment.ProcessPath;
        string host = process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? process
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        return new WorkerLauncher(host, [dll]);
    }
}
