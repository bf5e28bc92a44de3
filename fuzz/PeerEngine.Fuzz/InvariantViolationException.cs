namespace PeerEngine.Fuzz;

/// <summary>A parser broke one of the properties a fuzz target checks; the message says which.</summary>
public sealed class InvariantViolationException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public InvariantViolationException()
        : base("A fuzzing invariant was violated.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public InvariantViolationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public InvariantViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Throws when <paramref name="condition"/> is false.</summary>
    public static void Check(bool condition, string property)
    {
        if (!condition)
        {
            throw new InvariantViolationException(property);
        }
    }
}
