using System.Buffers;
using PeerEngine.Connections.Internal;

namespace PeerEngine;

/// <summary>
/// A request being handled. The object and its memory are pooled and reused: use them only until
/// the handler's task completes, and copy what must outlive it.
/// </summary>
/// <remarks>
/// <see cref="Payload"/> is lent, not copied, while the handler runs synchronously: it is the
/// connection's receive buffer until the handler's task is first returned incomplete (its first
/// await of something not yet done). From then on <see cref="Payload"/> returns a copy, made once.
/// So memory taken from <see cref="Payload"/> before that await must not be used after it: read
/// <see cref="Payload"/> again. A handler that completes synchronously costs no copy, unless the
/// payload spans blocks of the receive buffer (large payloads do) and is read through
/// <see cref="Payload"/>, which is one block of memory: <see cref="PayloadSequence"/> lends it in its
/// pieces, under the same rule.
/// </remarks>
public sealed class PeerRequest
{
    internal PeerRequest()
    {
    }

    /// <summary>The id of the peer that sent the request.</summary>
    public string PeerId { get; internal set; } = string.Empty;

    /// <summary>
    /// The request's payload, valid until the handler's task completes; memory taken from it before
    /// the handler first yields is valid only until then (see the remarks on <see cref="PeerRequest"/>).
    /// </summary>
    public ReadOnlyMemory<byte> Payload => Work?.Payload ?? default;

    /// <summary>
    /// The request's payload in the pieces it lies in: no copy for a payload that spans blocks of the
    /// receive buffer. Valid as <see cref="Payload"/> is: until the handler's task completes, and
    /// what is taken before the handler first yields only until then.
    /// </summary>
    public ReadOnlySequence<byte> PayloadSequence => Work?.PayloadSequence ?? default;

    /// <summary>Where the response payload is written. Writing nothing answers with an empty RESPONSE.</summary>
    public IBufferWriter<byte> Response { get; internal set; } = null!;

    /// <summary>The pooled work this request belongs to, which holds its payload.</summary>
    internal InboundWork? Work { get; set; }
}
