
namespace PeerEngine;

/// <summary>Answers the REQUESTs peers send a node; the type-based form of <see cref="RequestHandler"/>, for DI.</summary>
public interface IPeerRequestHandler
{
    /// <summary>Reads <see cref="PeerRequest.Payload"/> and writes the answer into <see cref="PeerRequest.Response"/>.</summary>
    ValueTask HandleAsync(PeerRequest request, CancellationToken cancellationToken);
}
