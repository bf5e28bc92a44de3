namespace PeerEngine;

/// <summary>
/// Answers one REQUEST: read <see cref="PeerRequest.Payload"/>, write the answer into
/// <see cref="PeerRequest.Response"/>. Handlers run concurrently, off the connection's receive loop;
/// an exception becomes ERROR 5 for the requester, without its details.
/// </summary>
public delegate ValueTask RequestHandler(PeerRequest request, CancellationToken cancellationToken);

/// <summary>Handles one MESSAGE (one-way; nothing is sent back).</summary>
public delegate ValueTask MessageHandler(PeerMessage message, CancellationToken cancellationToken);
