using System.Text.Json;
using PeerEngine.Load.Running;

namespace PeerEngine.Load.Reports;

/// <summary>Every number of a run, for machines and diffs; reads back to the same result.</summary>
internal static class JsonReport
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Write(LoadResult result) => JsonSerializer.Serialize(result, Options);

    public static LoadResult Read(string json) =>
        JsonSerializer.Deserialize<LoadResult>(json, Options) ?? throw new FormatException("The JSON report is empty.");
}
