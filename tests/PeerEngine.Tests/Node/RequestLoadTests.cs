using PeerEngine.Node;
using PeerEngine.Tests.Support;
using Xunit.Sdk;

namespace PeerEngine.Tests.Node;

/// <summary>The fault tests' load helper: a failing test must not leave its load running into the next.</summary>
public sealed class RequestLoadTests
{
    [Fact]
    public async Task A_load_held_with_await_using_stops_its_loops_when_an_assertion_under_it_fails()
    {
        await using var cluster = new NodeCluster();
        PeerNode echo = await cluster.StartAsync("echo", handler: Handlers.Echo);
        PeerNode client = await cluster.StartAsync("client");
        await NodeCluster.SeeEachOtherAsync(client, echo);
        RequestLoad? started = null;

        await Assert.ThrowsAsync<FailException>(async () =>
        {
            await using var load = new RequestLoad(client, "echo", workers: 4, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(1));
            started = load;
            await Eventually.TrueAsync(() => load.Count(RequestLoad.AnswerFrom("echo")) >= 50, "the load is answered");
            Assert.Fail("an assertion fails while the load runs");
        });

        Assert.NotNull(started);
        Assert.False(started.IsRunning, "the load's loops still run after the failed assertion");
        Assert.Equal(0, client.RequestsInFlight);
        Assert.Empty(started.Violations);
    }
}
