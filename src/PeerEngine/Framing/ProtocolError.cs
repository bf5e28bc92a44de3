namespace PeerEngine.Framing;

/// <summary>
/// A broken protocol rule, as a value: the code an ERROR frame carries and a message that says
/// which rule (and, for a limit, which option to raise). <c>default</c> means "no error".
/// </summary>
/// <param name="Code">The error code to answer with.</param>
/// <param name="Message">What was wrong, for the ERROR frame and the logs.</param>
public readonly record struct ProtocolError(ErrorCode Code, string Message)
{
    /// <summary>Whether this value describes an error (the default value does not).</summary>
    public bool IsError => Code != 0;

    /// <inheritdoc />
    public override string ToString() => IsError ? $"{Code} ({(ushort)Code}): {Message}" : "no error";
}
