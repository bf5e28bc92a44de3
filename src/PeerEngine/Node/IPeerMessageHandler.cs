
namespace PeerEngine;

/// <summary>Receives the MESSAGEs peers send a node; the type-based form of <see cref="MessageHandler"/>, for DI.</summary>
public interface IPeerMessageHandler
{
    /// <summary>Handles one message.</summary>
    ValueTask HandleAsync(PeerMessage message, CancellationToken cancellationToken);
}
