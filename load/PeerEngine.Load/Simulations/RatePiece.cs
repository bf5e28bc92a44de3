namespace PeerEngine.Load.Simulations;

/// <summary>
/// A stretch of an open plan whose rate moves linearly from <paramref name="Begin"/> to
/// <paramref name="End"/> calls per second: a phase, or one interval of an inject-random.
/// Times are seconds from the run's start.
/// </summary>
/// <param name="CallsBefore">Calls the plan starts before this piece.</param>
/// <param name="Calls">Calls this piece starts: the integral of its rate, or a count it stops at (iterations-for-inject).</param>
internal readonly record struct RatePiece(double Start, double Length, double Begin, double End, double CallsBefore, double Calls)
{
    public double RateAt(double tau) => Begin + ((End - Begin) * tau / Length);

    /// <summary>Calls started in the first <paramref name="tau"/> seconds of the piece.</summary>
    public double CallsUntil(double tau) => Math.Min(Calls, (Begin * tau) + ((End - Begin) * tau * tau / (2 * Length)));

    /// <summary>Solves CallsUntil(τ) = m: τ = 2m / (b + √(b² + 2(e−b)m/L)), stable for rising and falling ramps.</summary>
    public double TimeFor(double m)
    {
        if (m <= 0)
        {
            return 0;
        }

        double slope = (End - Begin) / Length;
        double root = Math.Sqrt(Math.Max(0, (Begin * Begin) + (2 * slope * m)));
        return 2 * m / (Begin + root);
    }
}
