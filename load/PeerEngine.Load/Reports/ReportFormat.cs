namespace PeerEngine.Load.Reports;

/// <summary>The report files a run can write (the console table is always printed).</summary>
[Flags]
internal enum ReportFormat
{
    None = 0,
    Md = 1,
    Csv = 2,
    Json = 4,
    Html = 8,

    /// <summary>HdrHistogram interval logs, one per scenario: the input of an exact merge.</summary>
    Hlog = 16,
    All = Md | Csv | Json | Html | Hlog,
}
