namespace PeerEngine.Connections;

/// <summary>What a connection does with the work a peer sends it.</summary>
/// <param name="OnRequest">Answers REQUESTs; without one, requests get ERROR 4 (no handler).</param>
/// <param name="OnMessage">Receives MESSAGEs; without one, they are dropped.</param>
internal sealed record ConnectionHandlers(RequestHandler? OnRequest, MessageHandler? OnMessage)
{
    public static readonly ConnectionHandlers None = new(null, null);
}
