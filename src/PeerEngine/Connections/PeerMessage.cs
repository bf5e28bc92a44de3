using System.Buffers;
using PeerEngine.Connections.Internal;

namespace PeerEngine;

/// <summary>
/// A one-way message being handled. The object and its memory are pooled and reused: use them only
/// until the handler's task completes, and copy what must outlive it. <see cref="Payload"/> is lent
/// from the receive buffer as <see cref="PeerRequest.Payload"/> is (see the remarks on <see cref="PeerRequest"/>).
/// </summary>
public sealed class PeerMessage
{
    internal PeerMessage()
    {
    }

    /// <summary>The id of the peer that sent the message.</summary>
    public string PeerId { get; internal set; } = string.Empty;

    /// <summary>
    /// The message's payload, valid until the handler's task completes; memory taken from it before
    /// the handler first yields is valid only until then.
    /// </summary>
    public ReadOnlyMemory<byte> Payload => Work?.Payload ?? default;

    /// <summary>The message's payload in the pieces it lies in, as <see cref="PeerRequest.PayloadSequence"/>.</summary>
    public ReadOnlySequence<byte> PayloadSequence => Work?.PayloadSequence ?? default;

    /// <summary>The pooled work this message belongs to, which holds its payload.</summary>
    internal InboundWork? Work { get; set; }
}
