namespace PeerEngine.Load.Scenarios;

/// <summary>What a step knows about the call it is making.</summary>
internal sealed class ScenarioContext
{
    public ScenarioContext(string scenarioName, long invocationNumber, int copyNumber, CancellationToken cancellationToken)
    {
        ScenarioName = scenarioName;
        InvocationNumber = invocationNumber;
        CopyNumber = copyNumber;
        CancellationToken = cancellationToken;
    }

    public string ScenarioName { get; }

    /// <summary>The call's number in the scenario, from 0; round-robin client pools pick with it.</summary>
    public long InvocationNumber { get; }

    /// <summary>The copy running the call in a closed model; -1 for open-model calls, which belong to no copy.</summary>
    public int CopyNumber { get; }

    /// <summary>Cancelled when the run is stopped.</summary>
    public CancellationToken CancellationToken { get; }
}
