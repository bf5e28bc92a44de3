namespace PeerEngine;

/// <summary>What a broadcast reached.</summary>
/// <param name="Delivered">Peers the message was written to.</param>
/// <param name="Failures">Peers it could not be sent to, with the reason.</param>
public sealed record BroadcastResult(int Delivered, IReadOnlyList<KeyValuePair<string, Exception>> Failures);
