using PeerEngine.Load.Measurement;

namespace PeerEngine.Load.Running;

/// <summary>
/// The highest rate that still meets a latency target ("sustainable throughput", Gil Tene's term):
/// double the rate until a step breaks the target or cannot hold its rate, then bisect between the
/// last good and the first bad rate. Each step is a full open-model run, so every step's latency is
/// honest; a step whose generator fell behind counts as a failure, not as a pass at a lower rate.
/// </summary>
internal sealed class RateSearch(Func<double, CancellationToken, Task<LoadResult>> runAt, Threshold target)
{
    public double StartRate { get; init; } = 1000;

    public double MaxRate { get; init; } = 10_000_000;

    public int RefineSteps { get; init; } = 3;

    public async Task<RateSearchResult> RunAsync(Action<RateSearchStep>? onStep, CancellationToken cancellationToken)
    {
        var steps = new List<RateSearchStep>();
        double good = 0;
        double bad = double.NaN;
        for (double rate = StartRate; rate <= MaxRate; rate *= 2)
        {
            RateSearchStep step = await StepAsync(rate, steps, onStep, cancellationToken).ConfigureAwait(false);
            if (!step.Passed)
            {
                bad = rate;
                break;
            }

            good = rate;
        }

        for (int i = 0; i < RefineSteps && !double.IsNaN(bad); i++)
        {
            double rate = Math.Round((good + bad) / 2);
            if (rate <= good || rate >= bad)
            {
                break;
            }

            RateSearchStep step = await StepAsync(rate, steps, onStep, cancellationToken).ConfigureAwait(false);
            (good, bad) = step.Passed ? (rate, bad) : (good, rate);
        }

        return new RateSearchResult(target.Text, good, steps);
    }

    private async Task<RateSearchStep> StepAsync(double rate, List<RateSearchStep> steps, Action<RateSearchStep>? onStep, CancellationToken cancellationToken)
    {
        LoadResult result = await runAt(rate, cancellationToken).ConfigureAwait(false);
        ScenarioResult scenario = result.Scenarios[0];
        ThresholdResult check = target.Evaluate(scenario);
        var step = new RateSearchStep(
            rate,
            scenario.Rps,
            check.ActualText,
            result.Health.Valid,
            check.Passed && result.Health.Valid && scenario.Fail == 0,
            (result.Health.Problems.Count > 0 ? result.Health.Problems[0] : null) ?? (scenario.Fail > 0 ? $"{scenario.Fail} calls failed" : null));
        steps.Add(step);
        onStep?.Invoke(step);
        return step;
    }
}

/// <summary>One rate tried by the search.</summary>
internal sealed record RateSearchStep(double Rate, double AchievedRps, string Measured, bool Valid, bool Passed, string? Problem);

/// <summary>The search's answer: the highest passing rate (0 if none passed) and every step.</summary>
internal sealed record RateSearchResult(string Target, double SustainableRate, IReadOnlyList<RateSearchStep> Steps);
