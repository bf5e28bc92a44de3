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

/// <summary>
/// Open model: every <paramref name="Interval"/> a rate drawn between <paramref name="MinRate"/> and
/// <paramref name="MaxRate"/> calls per interval. The draws come from <paramref name="Seed"/>, so a plan
/// repeats exactly, and workers sharing it draw alike (their shares add up to the whole).
/// </summary>
internal sealed record InjectRandom(double MinRate, double MaxRate, TimeSpan Interval, TimeSpan Span, int Seed) : LoadSimulation
{
    public override TimeSpan? During => Span;

    public override LoadModel? Model => LoadModel.Open;

    /// <summary>Calls per second in interval <paramref name="index"/> (from 0).</summary>
    public double RatePerSecondAt(long index) =>
        (MinRate + ((MaxRate - MinRate) * Draw(Seed, index))) / Interval.TotalSeconds;

    public override LoadSimulation Share(int index, int count) => this with { MinRate = MinRate / count, MaxRate = MaxRate / count };

    public override string ToString() =>
        $"inject-random min={Format(MinRate)} max={Format(MaxRate)} interval={Format(Interval)} during={Format(Span)} seed={Seed}";

    // SplitMix64 of (seed, index): the same draw in every process and run, unlike Random or HashCode.
    private static double Draw(int seed, long index)
    {
        ulong z = unchecked(((ulong)(uint)seed << 32) + (ulong)index + 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }
}

/// <summary>
/// Open model: <paramref name="Rate"/> calls every <paramref name="Interval"/> until
/// <paramref name="Iterations"/> calls have started; mixes with nothing.
/// </summary>
internal sealed record IterationsForInject(double Rate, TimeSpan Interval, long Iterations) : LoadSimulation
{
    /// <summary>As long as the calls take to start at the rate.</summary>
    public override TimeSpan? During => TimeSpan.FromTicks((long)Math.Ceiling(Iterations / RatePerSecond * TimeSpan.TicksPerSecond));

    public override LoadModel? Model => LoadModel.Open;

    public double RatePerSecond => Rate / Interval.TotalSeconds;

    public override LoadSimulation Share(int index, int count) =>
        this with { Rate = Rate / count, Iterations = Part(Iterations, index, count, atLeastOne: true) };

    public override string ToString() => $"iterations-for-inject rate={Format(Rate)} interval={Format(Interval)} iterations={Iterations}";
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
