using System.Net;
using PeerEngine.Load.Targets;

namespace PeerEngine.Load.Scenarios;

/// <summary>
/// The scenarios the command line offers: <c>echo</c> (request/response), <c>flood</c> (one-way
/// messages), <c>mixed</c> (four requests to one message), <c>churn</c> (connect, handshake, one
/// request, close), and <c>noop</c> (no target at all: the generator's own ceiling).
/// </summary>
internal static class BuiltInScenarios
{
    public static readonly IReadOnlyList<string> Names = ["echo", "flood", "mixed", "churn", "noop"];

    /// <summary>How long a churned connection may take to say goodbye.</summary>
    private static readonly TimeSpan ChurnDrain = TimeSpan.FromSeconds(1);

    public static ScenarioProps NoOp() =>
        Scenario.Create("noop", static _ => ValueTask.FromResult(Response.Ok())) with
        {
            Description = "in-process no-op step: the load generator's own ceiling",
        };

    public static ScenarioProps Create(string name, EndPoint endPoint, int payloadBytes, int connections) =>
        Create(name, [endPoint], payloadBytes, connections);

    /// <summary>A scenario over several peers: <paramref name="connections"/> to each, calls spread round-robin.</summary>
    /// <param name="targetInProcess">The target is the embedded pair: each connection costs this process two descriptors.</param>
    /// <param name="reconnect">How a link dials its target again after losing it; <see cref="Reconnect.Default"/> when null.</param>
    public static ScenarioProps Create(string name, IReadOnlyList<EndPoint> endPoints, int payloadBytes, int connections, bool targetInProcess = false, Reconnect? reconnect = null)
    {
        EndPoint endPoint = endPoints[0];
        string where = endPoints.Count == 1 ? endPoint.ToString()! : $"{endPoints.Count} peers";
        if (name == "noop")
        {
            return NoOp();
        }

        byte[] payload = new byte[payloadBytes];
        Random.Shared.NextBytes(payload);
        var client = new PeerEngineClient($"load-{Environment.ProcessId}", reconnect: reconnect);
        var pool = new ClientPool<PeerEngineLink>();

        // Measured at churn's first call, once the other scenarios hold their connections.
        var budget = new Lazy<DescriptorBudget?>(() => DescriptorBudget.ForThisProcess(targetInProcess ? 2 : 1));
        Func<ScenarioContext, ValueTask<Response>> step = name switch
        {
            "echo" => ctx => RequestAsync(pool.GetClient(ctx.InvocationNumber), payload, ctx.CancellationToken),
            "flood" => ctx => SendAsync(pool.GetClient(ctx.InvocationNumber), payload, ctx.CancellationToken),
            "mixed" => ctx => ctx.InvocationNumber % 5 == 4
                ? SendAsync(pool.GetClient(ctx.InvocationNumber), payload, ctx.CancellationToken)
                : RequestAsync(pool.GetClient(ctx.InvocationNumber), payload, ctx.CancellationToken),
            "churn" => ctx => ChurnAsync(client, budget.Value, endPoints[(int)(ctx.InvocationNumber % endPoints.Count)], payload, ctx.CancellationToken),
            _ => throw new FormatException($"scenario '{name}' is not one of {string.Join(", ", Names)}."),
        };

        string what = name switch
        {
            "echo" => $"request/response echo, {payloadBytes} B payload, {connections} connection(s) to {where}",
            "flood" => $"one-way messages, {payloadBytes} B payload, {connections} connection(s) to {where}",
            "mixed" => $"4 echo requests to 1 one-way message, {payloadBytes} B payload, {connections} connection(s) to {where}",
            _ => $"connect, handshake, one {payloadBytes} B request, close; a new connection to {where} per call",
        };

        return Scenario.Create(name, step) with
        {
            Description = what,
            ErrorCode = PeerEngineClient.ErrorCodeOf,
            Init = name == "churn" ? null : async ct =>
            {
                for (int i = 0; i < connections; i++)
                {
                    foreach (EndPoint peer in endPoints)
                    {
                        pool.AddClient(await client.ConnectAsync(peer, ct).ConfigureAwait(false));
                    }
                }
            },
            Clean = async () =>
            {
                await pool.DisposeClientsAsync().ConfigureAwait(false);
                client.Dispose();
            },
        };
    }

    private static async ValueTask<Response> RequestAsync(PeerEngineLink link, byte[] payload, CancellationToken cancellationToken)
    {
        int answer = await link.RequestAsync(payload, cancellationToken).ConfigureAwait(false);
        return Response.Ok(payload.Length + answer);
    }

    private static async ValueTask<Response> SendAsync(PeerEngineLink link, byte[] payload, CancellationToken cancellationToken)
    {
        await link.SendAsync(payload, cancellationToken).ConfigureAwait(false);
        return Response.Ok(payload.Length);
    }

    private static async ValueTask<Response> ChurnAsync(PeerEngineClient client, DescriptorBudget? budget, EndPoint endPoint, byte[] payload, CancellationToken cancellationToken)
    {
        budget?.Take();
        try
        {
            PeerEngineLink link = await client.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            await using (link.ConfigureAwait(false))
            {
                int answer = await link.RequestAsync(payload, cancellationToken).ConfigureAwait(false);
                await link.CloseAsync(ChurnDrain).ConfigureAwait(false);
                return Response.Ok(payload.Length + answer);
            }
        }
        finally
        {
            budget?.Return();
        }
    }
}
