using HdrHistogram;

namespace PeerEngine.Load.Measurement;

/// <summary>
/// How a scenario's HdrHistogram log holds its four measures: response time untagged (so tools
/// that read plain interval logs see the primary figure), the others tagged, one of each per
/// interval in this order. Interval k of every tag is the k-th entry with that tag.
/// </summary>
internal static class HistogramLogTags
{
    public const string Service = "service";
    public const string StartLag = "lag";
    public const string FailResponse = "fail";

    /// <summary>The tags of one interval's entries, in the order they are written.</summary>
    public static readonly IReadOnlyList<string?> All = [null, Service, StartLag, FailResponse];

    public static IReadOnlyList<HistogramBase> Read(byte[] log)
    {
        using var stream = new MemoryStream(log);
        using var reader = new HistogramLogReader(stream);
        return [.. reader.ReadHistograms()];
    }
}
