namespace PeerEngine.Buffers;

/// <summary>
/// The switch of the pools' accounting mode: off by default; on, <see cref="BlockMemoryPool"/> and
/// <see cref="PooledBuffer"/> count every rent and return and catch a double return. For tests, soak
/// runs and leak hunts: the AppContext switch <c>PeerEngine.PoolDiagnostics</c> (a
/// <c>RuntimeHostConfigurationOption</c>) or the environment variable <c>PEERENGINE_POOL_DIAGNOSTICS=1</c>.
/// </summary>
/// <remarks>
/// Read once, into a static readonly field: once the class is initialised the JIT treats the value
/// as a constant, so with the mode off every <c>if (PoolDiagnostics.Enabled)</c> is removed from
/// the optimised code and the hot path costs nothing. It cannot change while the process runs:
/// counts that began mid-way would never balance.
/// </remarks>
internal static class PoolDiagnostics
{
    /// <summary>The AppContext switch that turns the mode on.</summary>
    public const string SwitchName = "PeerEngine.PoolDiagnostics";

    /// <summary>The environment variable that turns the mode on (value <c>1</c>).</summary>
    public const string EnvironmentVariable = "PEERENGINE_POOL_DIAGNOSTICS";

    /// <summary>Whether the pools count rents and returns in this process.</summary>
    public static readonly bool Enabled =
        AppContext.TryGetSwitch(SwitchName, out bool enabled) ? enabled : Environment.GetEnvironmentVariable(EnvironmentVariable) == "1";
}

/// <summary>
/// What one pool handed out and got back, counted only in diagnostics mode; safe to update from any
/// thread. A double return is counted and its stack kept (the first few), so that a test or a soak
/// run can say where it happened rather than only that it did.
/// </summary>
internal sealed class PoolCounters
{
    // Enough to see the pattern; a bug that returns twice per request must not grow a list for ever.
    private const int KeptStacks = 8;

    private readonly List<string> _doubleReturnStacks = [];
    private long _rents;
    private long _returns;
    private long _doubleReturns;

    public long Rents => Interlocked.Read(ref _rents);

    public long Returns => Interlocked.Read(ref _returns);

    public long DoubleReturns => Interlocked.Read(ref _doubleReturns);

    /// <summary>Rented and not yet returned (read as two counters: exact only when no rent or return is racing).</summary>
    public long Outstanding => Rents - Returns;

    /// <summary>Where the first double returns happened.</summary>
    public IReadOnlyList<string> DoubleReturnStacks
    {
        get
        {
            lock (_doubleReturnStacks)
            {
                return [.. _doubleReturnStacks];
            }
        }
    }

    public void Rented() => Interlocked.Increment(ref _rents);

    public void Returned() => Interlocked.Increment(ref _returns);

    /// <summary>Counts a return of something not rented, and keeps where it came from.</summary>
    public void ReturnedTwice(string what)
    {
        Interlocked.Increment(ref _doubleReturns);
        lock (_doubleReturnStacks)
        {
            if (_doubleReturnStacks.Count < KeptStacks)
            {
                _doubleReturnStacks.Add($"{what} returned twice at{Environment.NewLine}{Environment.StackTrace}");
            }
        }
    }

    public override string ToString() =>
        $"rents {Rents}, returns {Returns}, outstanding {Outstanding}, double returns {DoubleReturns}";
}
