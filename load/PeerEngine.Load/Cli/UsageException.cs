namespace PeerEngine.Load.Cli;

/// <summary>A mistake on the command line: printed as one line, exit code 1.</summary>
internal sealed class UsageException(string message, Exception? inner = null) : Exception(message, inner);
