namespace PeerEngine.Load.Workers;

/// <summary>
/// What a worker process was told by its coordinator: which share of the load is its own
/// (<paramref name="Index"/> of <paramref name="Count"/>) and where its results go.
/// </summary>
internal sealed record WorkerRole(int Index, int Count, string Output);
