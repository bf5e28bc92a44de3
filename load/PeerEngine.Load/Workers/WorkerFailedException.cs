namespace PeerEngine.Load.Workers;

/// <summary>A worker process failed or the coordinator lost it: printed as one line, exit code 1.</summary>
internal sealed class WorkerFailedException(string message) : Exception(message);
