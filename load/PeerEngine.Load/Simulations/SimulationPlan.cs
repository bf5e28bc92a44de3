namespace PeerEngine.Load.Simulations;

/// <summary>
/// A scenario's phases chained in order, checked against NBomber's mixing rules: open phases
/// (<see cref="Inject"/>, <see cref="RampingInject"/>, <see cref="InjectRandom"/>) and closed ones
/// (<see cref="KeepConstant"/>, <see cref="RampingConstant"/>) never share a plan, <see cref="Pause"/>
/// fits either, and <see cref="IterationsForConstant"/> and <see cref="IterationsForInject"/> stand alone.
/// </summary>
internal sealed class SimulationPlan
{
    private SimulationPlan(IReadOnlyList<LoadSimulation> phases, LoadModel model)
    {
        Phases = phases;
        Model = model;
        Duration = phases.Aggregate(TimeSpan.Zero, (sum, phase) => sum + (phase.During ?? TimeSpan.Zero));
        RatePieces = model == LoadModel.Open ? Pieces(phases) : [];
    }

    public IReadOnlyList<LoadSimulation> Phases { get; }

    public LoadModel Model { get; }

    /// <summary>An open plan as stretches of linearly moving rate, in order: one per phase, one per interval of an inject-random.</summary>
    public IReadOnlyList<RatePiece> RatePieces { get; }

    /// <summary>The planned length; for <see cref="IterationsForConstant"/>, zero (it ends by count).</summary>
    public TimeSpan Duration { get; }

    /// <summary>The calls the open schedule plans in all (its integral of the rate); 0 for a closed plan.</summary>
    public long ScheduledCalls => Model == LoadModel.Open ? InjectionSchedule.CountBefore(this, Duration) : 0;

    public static SimulationPlan Create(IReadOnlyList<LoadSimulation> phases)
    {
        if (phases.Count == 0)
        {
            throw new ArgumentException("A scenario needs at least one load simulation.", nameof(phases));
        }

        if (phases.FirstOrDefault(p => p is IterationsForConstant or IterationsForInject) is { } alone && phases.Count > 1)
        {
            throw new ArgumentException($"{alone.ToString()!.Split(' ')[0]} cannot be chained with other simulations.", nameof(phases));
        }

        LoadModel[] models = [.. phases.Select(p => p.Model).OfType<LoadModel>().Distinct()];
        if (models.Length > 1)
        {
            throw new ArgumentException(
                "Open simulations (inject, ramping-inject, inject-random) and closed ones (keep-constant, ramping-constant) cannot be mixed in one scenario.",
                nameof(phases));
        }

        if (models.Length == 0)
        {
            throw new ArgumentException("A plan of pauses only puts no load on the target.", nameof(phases));
        }

        return new SimulationPlan([.. phases], models[0]);
    }

    /// <summary>Calls per second at <paramref name="offset"/> from the start (open plans).</summary>
    public double RateAt(TimeSpan offset)
    {
        double t = offset.TotalSeconds;
        foreach (RatePiece piece in RatePieces)
        {
            if (t < piece.Start + piece.Length)
            {
                return piece.RateAt(t - piece.Start);
            }
        }

        return 0;
    }

    /// <summary>
    /// Calls per second the open schedule makes due from <paramref name="fromSeconds"/> (inclusive) to
    /// <paramref name="toSeconds"/> (exclusive): over consecutive intervals, rate times length adds up to
    /// the calls scheduled.
    /// </summary>
    public double PlannedRate(double fromSeconds, double toSeconds)
    {
        double seconds = toSeconds - fromSeconds;
        if (Model != LoadModel.Open || seconds <= 0)
        {
            return 0;
        }

        long due = InjectionSchedule.CountBefore(this, TimeSpan.FromSeconds(toSeconds)) - InjectionSchedule.CountBefore(this, TimeSpan.FromSeconds(fromSeconds));
        return due / seconds;
    }

    /// <summary>The phase running at <paramref name="offset"/> from the start (the last one once the plan is over) and how far into it, 0 to 1.</summary>
    public (int Index, double Progress) PhaseAt(TimeSpan offset)
    {
        TimeSpan start = TimeSpan.Zero;
        for (int i = 0; i < Phases.Count; i++)
        {
            TimeSpan span = Phases[i].During ?? TimeSpan.Zero;
            if (offset < start + span)
            {
                return (i, Math.Max(0, (offset - start) / span));
            }

            start += span;
        }

        return (Phases.Count - 1, 1);
    }

    /// <summary>How many copies should be running at <paramref name="offset"/> from the start (closed plans).</summary>
    public int CopiesAt(TimeSpan offset)
    {
        TimeSpan start = TimeSpan.Zero;
        int previous = 0;
        foreach (LoadSimulation phase in Phases)
        {
            switch (phase)
            {
                case IterationsForConstant iterations:
                    return iterations.Copies;
                case KeepConstant keep when offset < start + keep.Span:
                    return keep.Copies;
                case RampingConstant ramp when offset < start + ramp.Span:
                    return (int)Math.Round(previous + ((ramp.Copies - previous) * (offset - start).TotalSeconds / ramp.Span.TotalSeconds));
                case Pause pause when offset < start + pause.Span:
                    return 0;
                default:
                    break;
            }

            start += phase.During ?? TimeSpan.Zero;
            previous = phase switch
            {
                KeepConstant keep => keep.Copies,
                RampingConstant ramp => ramp.Copies,
                _ => 0,
            };
        }

        return 0;
    }

    /// <summary>The most copies any phase asks for (closed plans size their copy table with it).</summary>
    public int MaxCopies => Phases.Select(p => p switch
    {
        KeepConstant keep => keep.Copies,
        RampingConstant ramp => ramp.Copies,
        IterationsForConstant iterations => iterations.Copies,
        _ => 0,
    }).Max();

    /// <summary>The first <paramref name="length"/> of this plan, for a warm-up that loads the target the way the run will.</summary>
    public SimulationPlan Truncate(TimeSpan length)
    {
        if (Phases is [IterationsForConstant only])
        {
            return new SimulationPlan([new KeepConstant(only.Copies, length)], LoadModel.Closed);
        }

        if (Phases is [IterationsForInject count])
        {
            return new SimulationPlan([new Inject(count.Rate, count.Interval, length)], LoadModel.Open);
        }

        var phases = new List<LoadSimulation>();
        TimeSpan used = TimeSpan.Zero;
        foreach (LoadSimulation phase in Phases)
        {
            TimeSpan span = phase.During ?? TimeSpan.Zero;
            TimeSpan left = length - used;
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            phases.Add(span <= left ? phase : Shorten(phase, left, used + left));
            used += span <= left ? span : left;
        }

        return new SimulationPlan(phases, Model);
    }

    public override string ToString() => string.Join(" → ", Phases);

    private static RatePiece[] Pieces(IReadOnlyList<LoadSimulation> phases)
    {
        var pieces = new List<RatePiece>();
        double start = 0;
        double callsBefore = 0;
        double previous = 0;
        void Add(double at, double length, double begin, double end, double? calls = null)
        {
            var piece = new RatePiece(at, length, begin, end, callsBefore, calls ?? ((begin + end) / 2 * length));
            pieces.Add(piece);
            callsBefore += piece.Calls;
            previous = end;
        }

        foreach (LoadSimulation phase in phases)
        {
            double length = (phase.During ?? TimeSpan.Zero).TotalSeconds;
            switch (phase)
            {
                case Inject inject:
                    Add(start, length, inject.RatePerSecond, inject.RatePerSecond);
                    break;
                case RampingInject ramp:
                    Add(start, length, previous, ramp.RatePerSecond);
                    break;
                case IterationsForInject iterations:
                    Add(start, length, iterations.RatePerSecond, iterations.RatePerSecond, iterations.Iterations);
                    break;
                case InjectRandom random:
                    double step = random.Interval.TotalSeconds;
                    for (long k = 0; k * step < length; k++)
                    {
                        double rate = random.RatePerSecondAt(k);
                        Add(start + (k * step), Math.Min(step, length - (k * step)), rate, rate);
                    }

                    break;
                default:
                    Add(start, length, 0, 0);
                    break;
            }

            start += length;
        }

        return [.. pieces];
    }

    // A cut ramp ends where the full ramp stood at the cut, so the warm-up's rates are the run's.
    private LoadSimulation Shorten(LoadSimulation phase, TimeSpan span, TimeSpan cut) => phase switch
    {
        Inject inject => inject with { Span = span },
        RampingInject ramp => ramp with { Span = span, Rate = RateAt(cut - TimeSpan.FromTicks(1)) * ramp.Interval.TotalSeconds },
        InjectRandom random => random with { Span = span },
        KeepConstant keep => keep with { Span = span },
        RampingConstant ramp => ramp with { Span = span, Copies = CopiesAt(cut - TimeSpan.FromTicks(1)) },
        Pause pause => pause with { Span = span },
        _ => phase,
    };
}
