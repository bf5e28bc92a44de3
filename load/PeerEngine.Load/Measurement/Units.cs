using System.Globalization;

namespace PeerEngine.Load.Measurement;

/// <summary>Numbers as a reader wants them: microseconds scaled to a readable unit, counts grouped.</summary>
internal static class Units
{
    public static string Micros(double micros) => micros switch
    {
        < 1_000 => string.Create(CultureInfo.InvariantCulture, $"{micros:0.#} µs"),
        < 1_000_000 => string.Create(CultureInfo.InvariantCulture, $"{micros / 1_000:0.##} ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{micros / 1_000_000:0.###} s"),
    };

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
