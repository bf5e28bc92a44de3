
namespace PeerEngine;

/// <summary>The peer answered a request with an ERROR frame.</summary>
public sealed class PeerErrorException : PeerException
{
    /// <summary>Creates the exception for an ERROR with <paramref name="code"/> and the peer's <paramref name="peerMessage"/>.</summary>
    public PeerErrorException(ErrorCode code, string peerMessage)
        : base($"The peer answered with ERROR {(ushort)code} ({code}): {peerMessage}")
    {
        Code = code;
        PeerMessage = peerMessage;
    }

    /// <summary>The error code the peer sent.</summary>
    public ErrorCode Code { get; }

    /// <summary>The message the peer sent, as it sent it.</summary>
    public string PeerMessage { get; }
}
