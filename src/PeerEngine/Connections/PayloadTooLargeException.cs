namespace PeerEngine;

/// <summary>
/// A payload larger than the protocol's maximum was refused before anything was sent. Only this call
/// fails; the connection stays up.
/// </summary>
public sealed class PayloadTooLargeException : PeerException
{
    /// <summary>Creates the exception for a payload of <paramref name="length"/> bytes over <paramref name="maximum"/>.</summary>
    public PayloadTooLargeException(long length, int maximum)
        : base($"The payload of {length} bytes exceeds the maximum of {maximum} bytes (option MaxPayloadLength); nothing was sent.")
    {
        Length = length;
        Maximum = maximum;
    }

    /// <summary>The refused payload's length.</summary>
    public long Length { get; }

    /// <summary>The maximum payload length in force.</summary>
    public int Maximum { get; }
}
