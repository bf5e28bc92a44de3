namespace PeerEngine.Load.Running;

/// <summary>The load generator itself failed where no run is left to mark (the warm-up): printed as one line, exit code 1.</summary>
internal sealed class GeneratorFailedException(string message, Exception? inner = null) : Exception(message, inner);
