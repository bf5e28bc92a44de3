using System.Buffers;

namespace PeerEngine;

/// <summary>
/// A request being handled. The object and its memory are pooled and reused: use them only until
/// the handler's task completes, and copy what must outlive it.
/// </summary>
public sealed class PeerRequest
{
    internal PeerRequest()
    {
    }

    /// <summary>The id of the peer that sent the request.</summary>
    public string PeerId { get; internal set; } = string.Empty;

    /// <summary>The request's payload.</summary>
    public ReadOnlyMemory<byte> Payload { get; internal set; }

    /// <summary>Where the response payload is written. Writing nothing answers with an empty RESPONSE.</summary>
    public IBufferWriter<byte> Response { get; internal set; } = null!;
}
