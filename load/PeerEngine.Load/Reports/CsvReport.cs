using System.Globalization;
using System.Text;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;

namespace PeerEngine.Load.Reports;

/// <summary>
/// Two tables for spreadsheets: one row per scenario (every summary number, latencies in µs) and
/// one row per scenario and interval (the timeline).
/// </summary>
internal static class CsvReport
{
    private static readonly string[] Metrics = ["response", "service", "lag"];

    private static readonly string[] IntervalHeader =
        ["scenario", "end_s", "seconds", "ok", "fail", "dropped", "bytes", "rps", "ok_rps", "fail_rps", "planned", "p50_us", "p90_us", "p99_us", "max_us", "lag_p50_us", "lag_p99_us", "lag_max_us"];

    public static string WriteSummary(LoadResult result)
    {
        var rows = new List<IReadOnlyList<string>>();
        var header = new List<string>
        {
            "scenario", "model", "duration_s", "scheduled", "target_rps", "ok", "fail", "dropped", "late",
            "bytes", "rps", "ok_rps", "fail_rps", "bytes_per_s", "fail_rate",
        };
        foreach (string metric in Metrics)
        {
            header.AddRange([$"{metric}_count", $"{metric}_mean_us", $"{metric}_stddev_us", $"{metric}_min_us"]);
            header.AddRange(result.Run.Percentiles.Select(p => $"{metric}_{Units.Percentile(p)}_us"));
            header.Add($"{metric}_max_us");
        }

        header.Add("aborted");

        rows.Add(header);
        foreach (ScenarioResult s in result.Scenarios)
        {
            var row = new List<string>
            {
                s.Name, s.Model, N(s.DurationSeconds), N(s.Scheduled), N(s.TargetRps), N(s.Ok), N(s.Fail), N(s.Dropped), N(s.Late),
                N(s.Bytes), N(s.Rps), N(s.OkRps), N(s.FailRps), N(s.BytesPerSecond), N(s.FailRate),
            };
            foreach (LatencySummary summary in new[] { s.ResponseTime, s.ServiceTime, s.StartLag })
            {
                row.AddRange([N(summary.Count), N(summary.Mean), N(summary.StdDev), N(summary.Min)]);
                // Empty, not 0, where no call was measured: a 0 would read as the fastest answer.
                row.AddRange(result.Run.Percentiles.Select(p => summary.Count == 0 ? string.Empty : N(summary.At(p) ?? 0)));
                row.Add(summary.Count == 0 ? string.Empty : N(summary.Max));
            }

            row.Add(result.Aborted ?? string.Empty);

            rows.Add(row);
        }

        return Format(rows);
    }

    /// <summary>An interval's response-time percentiles; empty where no call succeeded (its histogram holds none).</summary>
    private static string[] Latencies(IntervalStats i) =>
        i.Ok == 0 ? [string.Empty, string.Empty, string.Empty, string.Empty] : [N(i.P50), N(i.P90), N(i.P99), N(i.Max)];

    /// <summary>An interval's start lag; empty where no call ended in it.</summary>
    private static string[] StartLags(IntervalStats i) =>
        i.Ok + i.Fail == 0 ? [string.Empty, string.Empty, string.Empty] : [N(i.LagP50), N(i.LagP99), N(i.LagMax)];

    public static string WriteIntervals(LoadResult result)
    {
        var rows = new List<IReadOnlyList<string>> { IntervalHeader };
        foreach (ScenarioResult s in result.Scenarios)
        {
            rows.AddRange(s.Intervals.Select(i => (IReadOnlyList<string>)
                [s.Name, N(i.EndSeconds), N(i.Seconds), N(i.Ok), N(i.Fail), N(i.Dropped), N(i.Bytes), N(i.Rps), N(i.OkRps), N(i.FailRps), N(i.Planned), .. Latencies(i), .. StartLags(i)]));
        }

        return Format(rows);
    }

    /// <summary>Reads a table this report wrote: one dictionary per row, keyed by the header.</summary>
    public static IReadOnlyList<IReadOnlyDictionary<string, string>> Read(string csv)
    {
        List<List<string>> records = Parse(csv);
        if (records.Count == 0)
        {
            return [];
        }

        List<string> header = records[0];
        return [.. records.Skip(1).Select(r => (IReadOnlyDictionary<string, string>)header.Zip(r).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal))];
    }

    private static string N(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Format(IEnumerable<IReadOnlyList<string>> rows)
    {
        var text = new StringBuilder();
        foreach (IReadOnlyList<string> row in rows)
        {
            text.AppendJoin(',', row.Select(Quote)).Append('\n');
        }

        return text.ToString();
    }

    private static string Quote(string field) =>
        field.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    private static List<List<string>> Parse(string csv)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < csv.Length; i++)
        {
            char c = csv[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < csv.Length && csv[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                record.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                record.Add(field.ToString());
                field.Clear();
                records.Add(record);
                record = [];
            }
            else if (c != '\r')
            {
                field.Append(c);
            }
        }

        if (field.Length > 0 || record.Count > 0)
        {
            record.Add(field.ToString());
            records.Add(record);
        }

        return records;
    }
}
