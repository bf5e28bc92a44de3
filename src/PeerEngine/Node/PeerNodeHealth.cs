namespace PeerEngine.Node;

/// <summary>A node's state as a health check sees it.</summary>
/// <param name="Running">Whether the node is started.</param>
/// <param name="Published">Whether the node finds itself live in its registry.</param>
/// <param name="Peers">Live peers known.</param>
/// <param name="UnreachablePeers">Peers whose pool is backing off after failed connects, or that stopped answering while connected.</param>
public sealed record PeerNodeHealth(bool Running, bool Published, int Peers, IReadOnlyList<string> UnreachablePeers);
