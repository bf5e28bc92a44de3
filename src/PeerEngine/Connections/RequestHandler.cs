namespace PeerEngine;

/// <summary>
/// Answers one REQUEST: read <see cref="PeerRequest.Payload"/>, write the answer into
/// <see cref="PeerRequest.Response"/>. By default a handler starts in its connection's receive loop on
/// a pool thread and the next request's starts when it completes or first awaits (see
/// <see cref="PeerConnectionOptions.InlineHandlers"/>); an exception becomes ERROR 5 for the
/// requester, without its details.
/// </summary>
public delegate ValueTask RequestHandler(PeerRequest request, CancellationToken cancellationToken);

/// <summary>Handles one MESSAGE (one-way; nothing is sent back).</summary>
public delegate ValueTask MessageHandler(PeerMessage message, CancellationToken cancellationToken);
