using System.Globalization;

namespace PeerEngine.Load.Measurement;

/// <summary>Numbers as a reader wants them: microseconds scaled to a readable unit, counts grouped.</summary>
internal static class Units
{
    /// <summary>
    /// A latency to three significant digits, the histograms' own precision, trailing zeros kept so a
    /// column reads alike (<c>48.0 ms</c>, <c>337 ms</c>, <c>2.46 ms</c>); whole microseconds below 100 µs
    /// (the histograms count in µs), one decimal for means there. Every human-readable latency (tables,
    /// thresholds, abort reasons, warnings, the live view, chart ticks) goes through here, so one figure
    /// reads the same everywhere; JSON and CSV keep full precision.
    /// </summary>
    /// <summary>A latency nothing was measured for (no successful call): a 0 there would read as the fastest answer.</summary>
    public const string None = "–";

    /// <summary><see cref="Micros(double)"/>, or <see cref="None"/> when there is no value.</summary>
    public static string MicrosOrNone(long? micros) => micros is { } value ? Micros(value) : None;

    public static string Micros(double micros)
    {
        if (micros < 99.95)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{micros:0.#} µs");
        }

        (double value, string unit) = micros switch
        {
            < 999.5 => (micros, "µs"),
            < 999_500 => (micros / 1_000, "ms"),
            _ => (micros / 1_000_000, "s"),
        };
        string format = value switch
        {
            >= 99.95 => "0",
            >= 9.995 => "0.0",
            _ => "0.00",
        };
        return value.ToString(format, CultureInfo.InvariantCulture) + " " + unit;
    }

    public static string Count(double value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    public static string Rate(double value) => value.ToString(value < 100 ? "#,0.##" : "#,0", CultureInfo.InvariantCulture);

    public static string Bytes(double value) => value switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{value:0} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{value / 1024:0.#} KiB"),
        < 1024 * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{value / (1024 * 1024):0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{value / (1024 * 1024 * 1024):0.##} GiB"),
    };

    public static string Percentile(double percentile) => "p" + percentile.ToString("0.###", CultureInfo.InvariantCulture);

    public static string Percent(double fraction) => string.Create(CultureInfo.InvariantCulture, $"{fraction * 100:0.###}%");
}
