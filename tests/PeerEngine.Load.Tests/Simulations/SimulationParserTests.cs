using PeerEngine.Load.Simulations;

namespace PeerEngine.Load.Tests.Simulations;

public sealed class SimulationParserTests
{
    [Theory]
    [InlineData("inject:rate=20000,interval=1s,during=30s", "inject rate=20000 interval=1s during=30s")]
    [InlineData("inject:rate=50,during=2m", "inject rate=50 interval=1s during=2m")]
    [InlineData("ramping-inject:rate=10,interval=100ms,during=5s", "ramping-inject rate=10 interval=100ms during=5s")]
    [InlineData("keep-constant:copies=8,during=10s", "keep-constant copies=8 during=10s")]
    [InlineData("ramping-constant:copies=4,during=1500ms", "ramping-constant copies=4 during=1500ms")]
    [InlineData("iterations-for-constant:copies=2,iterations=1000", "iterations-for-constant copies=2 iterations=1000")]
    [InlineData("pause:during=3s", "pause during=3s")]
    [InlineData("inject-random:min=100,max=500,interval=1s,during=10s", "inject-random min=100 max=500 interval=1s during=10s seed=1")]
    [InlineData("inject-random:min=0,max=50,during=1m,seed=7", "inject-random min=0 max=50 interval=1s during=1m seed=7")]
    [InlineData("iterations-for-inject:rate=200,interval=100ms,iterations=5000", "iterations-for-inject rate=200 interval=100ms iterations=5000")]
    public void Parses_what_it_prints(string text, string expected)
    {
        LoadSimulation simulation = SimulationParser.Parse(text);

        Assert.Equal(expected, simulation.ToString());
        string[] words = expected.Split(' ');
        Assert.Equal(simulation, SimulationParser.Parse(words[0] + ":" + string.Join(',', words[1..])));
    }

    [Theory]
    [InlineData("inject:rate=10", "during")]
    [InlineData("inject:rate=ten,during=1s", "not a number")]
    [InlineData("inject:rate=10,during=1 fortnight", "not a duration")]
    [InlineData("inject:rate=0,during=1s", "greater than 0")]
    [InlineData("storm:rate=1", "not a simulation")]
    [InlineData("keep-constant:copies=1,during=1s,rate=3", "takes no 'rate'")]
    [InlineData("inject-random:min=500,max=100,during=1s", "at least minRate")]
    [InlineData("iterations-for-inject:rate=10", "iterations")]
    public void Rejects_with_a_reason(string text, string reason)
    {
        FormatException error = Assert.Throws<FormatException>(() => SimulationParser.Parse(text));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }
}
