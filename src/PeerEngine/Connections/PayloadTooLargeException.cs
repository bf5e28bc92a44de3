namespace PeerEngine;

/// <summary>
/// A payload larger than the maximum in force was refused before anything was sent: this node's own
/// maximum, or the one a version-2 peer announced in its HELLO. Only this call fails; the connection
/// stays up.
/// </summary>
public sealed class PayloadTooLargeException : PeerException
{
    /// <summary>Creates the exception for a payload of <paramref name="length"/> bytes over <paramref name="maximum"/>.</summary>
    public PayloadTooLargeException(long length, int maximum)
        : this(length, maximum, $"The payload of {length} bytes exceeds the maximum of {maximum} bytes (option MaxPayloadLength); nothing was sent.")
    {
    }

    private PayloadTooLargeException(long length, int maximum, string message)
        : base(message)
    {
        Length = length;
        Maximum = maximum;
    }

    /// <summary>The refused payload's length.</summary>
    public long Length { get; }

    /// <summary>The maximum payload length in force.</summary>
    public int Maximum { get; }

    /// <summary>A payload over the maximum the peer announced in its HELLO (a trace block, when sent, counts).</summary>
    internal static PayloadTooLargeException OverPeerMaximum(long length, int maximum) =>
        new(length, maximum, $"The payload of {length} bytes exceeds the peer's maximum of {maximum} bytes, announced in its HELLO; nothing was sent.");
}
