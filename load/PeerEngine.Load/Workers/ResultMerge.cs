using HdrHistogram;
using PeerEngine.Load.Measurement;
using PeerEngine.Load.Running;

namespace PeerEngine.Load.Workers;

/// <summary>
/// One result from the results of several worker processes that ran the same scenarios side by
/// side. Counts add; latencies come from histograms built by adding the workers' histograms
/// (their HdrHistogram logs), never from their percentiles; interval k of the timeline adds every
/// worker's interval k. Thresholds and the run's validity are judged on the merged numbers.
/// </summary>
internal static class ResultMerge
{
    /// <param name="workers">Each worker's result, with its histogram logs.</param>
    /// <param name="run">The coordinator's description of the run (title, target, command line, percentiles).</param>
    /// <param name="plan">The whole plan, as the workers' shares add up to it.</param>
    /// <param name="thresholds">Checked against the merged result.</param>
    public static LoadResult Merge(IReadOnlyList<LoadResult> workers, RunInfo run, string plan, IReadOnlyList<Threshold> thresholds)
    {
        if (workers.Count == 0)
        {
            throw new ArgumentException("There are no worker results to merge.", nameof(workers));
        }

        ScenarioResult[] scenarios = [.. workers[0].Scenarios.Select(s => Scenario([.. workers.Select(w => w.Scenario(s.Name))], run.Percentiles, plan, workers.Count))];

        // The hiccups of the worker that stalled worst: each worker's meter saw its own process only,
        // and its histogram is not kept, so the worst one stands for the generator.
        LatencySummary hiccups = workers.Select(w => w.Health.Hiccups).MaxBy(h => h.Max)!;
        double cpuPercent = Math.Round(workers.Sum(w => w.Health.CpuPercent), 1);
        (List<string> problems, List<string> warnings) = RunValidity.Judge(
            scenarios, hiccups, cpuPercent, $"the {workers.Count} worker processes together", workers[0].Health.ProcessorCount);
        return new LoadResult
        {
            Run = run with
            {
                StartedUtc = workers.Min(w => w.Run.StartedUtc),
                DurationSeconds = workers.Max(w => w.Run.DurationSeconds),
                Workers = workers.Count,
            },
            Scenarios = scenarios,
            Health = new GeneratorHealth
            {
                Hiccups = hiccups,
                GcPauseMilliseconds = Math.Round(workers.Sum(w => w.Health.GcPauseMilliseconds), 3),
                Gen0Collections = workers.Sum(w => w.Health.Gen0Collections),
                Gen1Collections = workers.Sum(w => w.Health.Gen1Collections),
                Gen2Collections = workers.Sum(w => w.Health.Gen2Collections),
                CpuPercent = cpuPercent,
                ProcessorCount = workers[0].Health.ProcessorCount,
                Valid = problems.Count == 0,
                Problems = problems,
                Warnings = warnings,
            },
            Thresholds = [.. scenarios.SelectMany(s => Threshold.EvaluateAll(thresholds, s))],

            // Each worker checks the abort rules on its own share; the first that fired stands for the run.
            Aborted = workers.Select((w, i) => w.Aborted is null ? null : $"worker {i}: {w.Aborted}").FirstOrDefault(a => a is not null),
        };
    }

    private static ScenarioResult Scenario(ScenarioResult[] parts, IReadOnlyList<double> percentiles, string plan, int workers)
    {
        var totals = new ScenarioTotals();
        foreach (ScenarioResult part in parts)
        {
            totals.Add(part);
        }

        (IntervalStats[] intervals, byte[] log) = Timeline(parts);
        ScenarioResult first = parts[0];
        var header = new ScenarioResultHeader(
            first.Name,
            first.Description,
            first.Model,
            plan,
            parts.Max(p => p.DurationSeconds),
            parts.Sum(p => p.Scheduled),
            parts.Sum(p => p.TargetRps),
            [.. first.Notes, $"merged from {workers} worker processes, each running its share of the plan: histograms added, counts summed"]);
        return totals.ToResult(header, intervals, log, percentiles);
    }

    /// <summary>The merged timeline and its histogram log: interval k adds every worker's interval k.</summary>
    private static (IntervalStats[] Intervals, byte[] Log) Timeline(ScenarioResult[] parts)
    {
        // Per worker, its log's entries by tag: the k-th entry of a tag is that measure in interval k.
        ILookup<string, HistogramBase>[] logs = [.. parts.Select(p => HistogramLogTags.Read(p.HistogramLog!).ToLookup(h => h.Tag ?? string.Empty))];
        var intervals = new IntervalStats[parts.Max(p => p.Intervals.Count)];
        using var stream = new MemoryStream();
        using (var writer = new HistogramLogWriter(stream))
        {
            long[] starts = [.. logs.SelectMany(l => l[string.Empty]).Select(h => h.StartTimeStamp)];
            writer.Write(DateTimeOffset.FromUnixTimeMilliseconds(starts.Length > 0 ? starts.Min() : 0).UtcDateTime);
            for (int k = 0; k < intervals.Length; k++)
            {
                // A worker whose run ended an interval sooner has nothing to add to the last one.
                int[] present = [.. Enumerable.Range(0, parts.Length).Where(w => k < parts[w].Intervals.Count)];
                HistogramBase response = null!;
                HistogramBase lag = null!;
                foreach (string? tag in HistogramLogTags.All)
                {
                    HistogramBase[] same = [.. present.Select(w => logs[w][tag ?? string.Empty].ElementAt(k))];
                    LongHistogram sum = ScenarioTotals.NewHistogram();
                    foreach (HistogramBase h in same)
                    {
                        sum.Add(h);
                    }

                    sum.Tag = tag;
                    sum.StartTimeStamp = same.Min(h => h.StartTimeStamp);
                    sum.EndTimeStamp = same.Max(h => h.EndTimeStamp);
                    writer.Append(sum);
                    if (tag is null)
                    {
                        response = sum;
                    }
                    else if (tag == HistogramLogTags.StartLag)
                    {
                        lag = sum;
                    }
                }

                IntervalStats[] at = [.. present.Select(w => parts[w].Intervals[k])];
                intervals[k] = new IntervalStats
                {
                    EndSeconds = at.Max(i => i.EndSeconds),
                    Seconds = at.Max(i => i.Seconds),
                    Ok = at.Sum(i => i.Ok),
                    Fail = at.Sum(i => i.Fail),
                    Bytes = at.Sum(i => i.Bytes),
                    Dropped = at.Sum(i => i.Dropped),
                    Rps = Math.Round(at.Sum(i => i.Rps), 3),
                    OkRps = Math.Round(at.Sum(i => i.OkRps), 3),
                    FailRps = Math.Round(at.Sum(i => i.FailRps), 3),
                    Planned = Math.Round(at.Sum(i => i.Planned), 3),
                }.WithLatencies(response).WithStartLag(lag);
            }
        }

        return (intervals, stream.ToArray());
    }
}
