using System.Globalization;

namespace PeerEngine.Load.Simulations;

/// <summary>One phase of a scenario's load, as NBomber names them. Chain phases with <see cref="SimulationPlan"/>.</summary>
internal abstract record LoadSimulation
{
    /// <summary>How long the phase lasts; <see langword="null"/> when it ends by count (<see cref="IterationsForConstant"/>).</summary>
    public abstract TimeSpan? During { get; }

    /// <summary>Which model the phase belongs to; <see langword="null"/> for <see cref="Pause"/>, which fits either.</summary>
    public abstract LoadModel? Model { get; }

    /// <summary>
    /// Worker <paramref name="index"/>'s part when <paramref name="count"/> processes share the phase:
    /// the rate divided (open model), the copies and iterations split with the remainder going to
    /// the first workers (closed model). The parts add up to the whole.
    /// </summary>
    public abstract LoadSimulation Share(int index, int count);

    protected static string Format(TimeSpan value) => DurationSyntax.Format(value);

    protected static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>Worker <paramref name="index"/>'s part of <paramref name="total"/> whole things; at least one when <paramref name="atLeastOne"/>.</summary>
    protected long Part(long total, int index, int count, bool atLeastOne)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        long part = (total / count) + (index < total % count ? 1 : 0);
        return part > 0 || !atLeastOne
            ? part
            : throw new ArgumentException($"{this}: {total} cannot be shared among {count} workers (each needs at least one); use fewer workers.");
    }
}

/// <summary>Open model: <paramref name="Rate"/> calls every <paramref name="Interval"/>, whatever the target does.</summary>
internal sealed record Inject(double Rate, TimeSpan Interval, TimeSpan Span) : LoadSimulation
{
    public override TimeSpan? During => Span;

    public override LoadModel? Model => LoadModel.Open;

    public double RatePerSecond => Rate / Interval.TotalSeconds;

    public override LoadSimulation Share(int index, int count) => this with { Rate = Rate / count };

    public override string ToString() => $"inject rate={Format(Rate)} interval={Format(Interval)} during={Format(Span)}";
}

/// <summary>Open model: the rate moves linearly from the previous phase's rate to <paramref name="Rate"/>.</summary>
internal sealed record RampingInject(double Rate, TimeSpan Interval, TimeSpan Span) : LoadSimulation
{
    public override TimeSpan? During => Span;

    public override LoadModel? Model => LoadModel.Open;

    public double RatePerSecond => Rate / Interval.TotalSeconds;

    public override LoadSimulation Share(int index, int count) => this with { Rate = Rate / count };

    public override string ToString() => $"ramping-inject rate={Format(Rate)} interval={Format(Interval)} during={Format(Span)}";
}

/// <summary>Closed model: <paramref name="Copies"/> loops, each starting its next call when the last one ends.</summary>
internal sealed record KeepConstant(int Copies, TimeSpan Span) : LoadSimulation
{
    public override TimeSpan? During => Span;

    public override LoadModel? Model => LoadModel.Closed;

    public override LoadSimulation Share(int index, int count) => this with { Copies = (int)Part(Copies, index, count, atLeastOne: true) };

    public override string ToString() => $"keep-constant copies={Copies} during={Format(Span)}";
}

/// <summary>Closed model: the number of copies moves linearly from the previous phase's to <paramref name="Copies"/>.</summary>
internal sealed record RampingConstant(int Copies, TimeSpan Span) : LoadSimulation
{
    public override TimeSpan? During => Span;

    public override LoadModel? Model => LoadModel.Closed;

    public override LoadSimulation Share(int index, int count) => this with { Copies = (int)Part(Copies, index, count, atLeastOne: false) };

    public override string ToString() => $"ramping-constant copies={Copies} during={Format(Span)}";
}

/// <summary>Closed model: <paramref name="Copies"/> loops share <paramref name="Iterations"/> calls; mixes with nothing.</summary>
internal sealed record IterationsForConstant(int Copies, long Iterations) : LoadSimulation
{
    public override TimeSpan? During => null;

    public override LoadModel? Model => LoadModel.Closed;

    public override LoadSimulation Share(int index, int count) =>
        this with { Copies = (int)Part(Copies, index, count, atLeastOne: true), Iterations = Part(Iterations, index, count, atLeastOne: true) };

    public override string ToString() => $"iterations-for-constant copies={Copies} iterations={Iterations}";
}

/// <summary>No load for <paramref name="Span"/>; fits either model.</summary>
internal sealed record Pause(TimeSpan Span) : LoadSimulation
{
    public override TimeSpan? During => Span;

    public override LoadModel? Model => null;

    public override LoadSimulation Share(int index, int count) => this;

    public override string ToString() => $"pause during={Format(Span)}";
}
