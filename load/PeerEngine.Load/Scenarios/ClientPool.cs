namespace PeerEngine.Load.Scenarios;

/// <summary>Pre-connected clients shared by a scenario's calls, picked round-robin (NBomber's ClientPool).</summary>
internal sealed class ClientPool<TClient>
    where TClient : IAsyncDisposable
{
    private readonly List<TClient> _clients = [];

    public int Count => _clients.Count;

    public void AddClient(TClient client) => _clients.Add(client);

    public TClient GetClient(long invocationNumber) => _clients[(int)(invocationNumber % _clients.Count)];

    public async Task DisposeClientsAsync()
    {
        foreach (TClient client in _clients)
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }

        _clients.Clear();
    }
}
