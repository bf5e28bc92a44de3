using System.Globalization;

namespace PeerEngine.Load.Simulations;

/// <summary>Durations as people type them: <c>30s</c>, <c>500ms</c>, <c>2m</c>, <c>1h</c>, <c>250us</c>.</summary>
internal static class DurationSyntax
{
    private static readonly (string Suffix, double Ticks)[] Units =
    [
        ("us", TimeSpan.TicksPerMicrosecond),
        ("µs", TimeSpan.TicksPerMicrosecond),
        ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond),
        ("m", TimeSpan.TicksPerMinute),
        ("h", TimeSpan.TicksPerHour),
    ];

    public static bool TryParse(string text, out TimeSpan value)
    {
        text = text.Trim();
        foreach ((string suffix, double ticks) in Units)
        {
            // "ms" must win over "s" and "m": the list is ordered so the longer suffixes come first.
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text.AsSpan(0, text.Length - suffix.Length), NumberStyles.Float, CultureInfo.InvariantCulture, out double number)
                && number >= 0
                && double.IsFinite(number))
            {
                value = TimeSpan.FromTicks((long)Math.Round(number * ticks));
                return true;
            }
        }

        value = default;
        return false;
    }

    public static TimeSpan Parse(string text, string what) =>
        TryParse(text, out TimeSpan value)
            ? value
            : throw new FormatException($"{what}: '{text}' is not a duration (write e.g. 30s, 500ms, 2m, 250us).");

    public static string Format(TimeSpan value)
    {
        if (value.Ticks % TimeSpan.TicksPerHour == 0 && value >= TimeSpan.FromHours(1))
        {
            return $"{value.Ticks / TimeSpan.TicksPerHour}h";
        }

        if (value.Ticks % TimeSpan.TicksPerMinute == 0 && value >= TimeSpan.FromMinutes(1))
        {
            return $"{value.Ticks / TimeSpan.TicksPerMinute}m";
        }

        if (value.Ticks % TimeSpan.TicksPerSecond == 0)
        {
            return $"{value.Ticks / TimeSpan.TicksPerSecond}s";
        }

        if (value.Ticks % TimeSpan.TicksPerMillisecond == 0)
        {
            return $"{value.Ticks / TimeSpan.TicksPerMillisecond}ms";
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value.Ticks / (double)TimeSpan.TicksPerMicrosecond:0.#}us");
    }
}
