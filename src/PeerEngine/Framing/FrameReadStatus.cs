namespace PeerEngine.Framing;

/// <summary>What <see cref="FrameReader.TryRead"/> found at the start of the buffer.</summary>
public enum FrameReadStatus
{
    /// <summary>A whole, valid frame; the buffer was advanced past it.</summary>
    Complete,

    /// <summary>Not a whole frame yet; the buffer is unchanged. Advance the pipe to (buffer.Start, buffer.End).</summary>
    Incomplete,

    /// <summary>The header breaks a rule; the error says which. Answer with it and close.</summary>
    Invalid,
}
