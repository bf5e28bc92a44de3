namespace PeerEngine.Load.Scenarios;

/// <summary>NBomber's entry point: <c>Scenario.Create("name", async ctx => Response.Ok())</c>.</summary>
internal static class Scenario
{
    public static ScenarioProps Create(string name, Func<ScenarioContext, ValueTask<Response>> step)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return new ScenarioProps(name, step);
    }
}
