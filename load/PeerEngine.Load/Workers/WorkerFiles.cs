using PeerEngine.Load.Reports;
using PeerEngine.Load.Running;

namespace PeerEngine.Load.Workers;

/// <summary>
/// What a worker hands its coordinator: its result as JSON (every count) and one HdrHistogram log
/// per scenario (every histogram, interval by interval), the input of an exact merge.
/// </summary>
internal static class WorkerFiles
{
    public static string JsonPath(string folder, int index) => Path.Combine(folder, $"worker-{index}.json");

    public static string LogPath(string folder, int index, string scenario) => Path.Combine(folder, $"worker-{index}.{ReportWriter.Slug(scenario)}.hlog");

    public static void Write(LoadResult result, string folder, int index)
    {
        Directory.CreateDirectory(folder);
        foreach (var scenario in result.Scenarios)
        {
            File.WriteAllBytes(LogPath(folder, index, scenario.Name), scenario.HistogramLog ?? []);
        }

        // Last: the coordinator reads a worker's files only after it exited with 0, but a JSON file
        // that exists means the logs beside it are complete.
        File.WriteAllText(JsonPath(folder, index), JsonReport.Write(result));
    }

    public static LoadResult Read(string folder, int index)
    {
        string json = JsonPath(folder, index);
        if (!File.Exists(json))
        {
            throw new WorkerFailedException($"worker {index} exited without writing its result ({json}).");
        }

        LoadResult result = JsonReport.Read(File.ReadAllText(json));
        return result with
        {
            Scenarios = [.. result.Scenarios.Select(s => s with { HistogramLog = File.ReadAllBytes(LogPath(folder, index, s.Name)) })],
        };
    }
}
