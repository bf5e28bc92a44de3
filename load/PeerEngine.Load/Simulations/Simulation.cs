namespace PeerEngine.Load.Simulations;

/// <summary>NBomber's factory names for load simulations, so its users can write what they know.</summary>
internal static class Simulation
{
    public static LoadSimulation Inject(double rate, TimeSpan interval, TimeSpan during) =>
        new Inject(Positive(rate, nameof(rate)), PositiveSpan(interval, nameof(interval)), PositiveSpan(during, nameof(during)));

    public static LoadSimulation RampingInject(double rate, TimeSpan interval, TimeSpan during) =>
        new RampingInject(NonNegative(rate, nameof(rate)), PositiveSpan(interval, nameof(interval)), PositiveSpan(during, nameof(during)));

    /// <summary>Every <paramref name="interval"/> a rate between the two, drawn from <paramref name="seed"/> (the same seed, the same plan).</summary>
    public static LoadSimulation InjectRandom(double minRate, double maxRate, TimeSpan interval, TimeSpan during, int seed = 1) =>
        maxRate >= minRate
            ? new InjectRandom(NonNegative(minRate, nameof(minRate)), Positive(maxRate, nameof(maxRate)), PositiveSpan(interval, nameof(interval)), PositiveSpan(during, nameof(during)), seed)
            : throw new ArgumentOutOfRangeException(nameof(maxRate), maxRate, "maxRate must be at least minRate.");

    public static LoadSimulation IterationsForInject(double rate, TimeSpan interval, long iterations) =>
        new IterationsForInject(Positive(rate, nameof(rate)), PositiveSpan(interval, nameof(interval)), (long)Positive(iterations, nameof(iterations)));

    public static LoadSimulation KeepConstant(int copies, TimeSpan during) =>
        new KeepConstant((int)Positive(copies, nameof(copies)), PositiveSpan(during, nameof(during)));

    public static LoadSimulation RampingConstant(int copies, TimeSpan during) =>
        new RampingConstant((int)NonNegative(copies, nameof(copies)), PositiveSpan(during, nameof(during)));

    public static LoadSimulation IterationsForConstant(int copies, long iterations) =>
        new IterationsForConstant((int)Positive(copies, nameof(copies)), (long)Positive(iterations, nameof(iterations)));

    public static LoadSimulation Pause(TimeSpan during) => new Pause(PositiveSpan(during, nameof(during)));

    private static double Positive(double value, string name) =>
        value > 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be greater than 0.");

    private static double NonNegative(double value, string name) =>
        value >= 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be 0 or more.");

    private static TimeSpan PositiveSpan(TimeSpan value, string name) =>
        value > TimeSpan.Zero ? value : throw new ArgumentOutOfRangeException(name, value, $"{name} must be longer than 0.");
}
