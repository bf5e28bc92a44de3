using System.CommandLine;
using System.Globalization;
using PeerEngine.Registry;

namespace PeerEngine.Host;

/// <summary>
/// Options that also read an environment variable named after them (upper-cased, dashes as
/// underscores, prefixed PEERENGINE_), the option winning when both are given.
/// </summary>
internal static class Settings
{
    public static Option<string> Registry() => new("--registry")
    {
        Description = "The registry file; PEERENGINE_REGISTRY names another than the per-user one.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("PEERENGINE_REGISTRY") is { Length: > 0 } path ? path : PeerRegistryOptions.DefaultPath,
    };

    public static Option<T> FromEnvironment<T>(string name, string description, T defaultValue, Func<string, T> parse) => new(name)
    {
        Description = description,
        DefaultValueFactory = result =>
        {
            string variable = "PEERENGINE_" + name.TrimStart('-').Replace('-', '_').ToUpperInvariant();
            string? text = Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(text))
            {
                return defaultValue;
            }

            try
            {
                return parse(text);
            }
            catch (FormatException)
            {
                result.AddError($"{variable}='{text}' is not a valid value for {name}");
                return defaultValue;
            }
            catch (OverflowException)
            {
                result.AddError($"{variable}='{text}' is out of range for {name}");
                return defaultValue;
            }
        },
    };

    // System.CommandLine's help prints each option's default ("[default: 5]"), so descriptions never repeat it.
    public static Option<double> Seconds(string name, string description, double defaultSeconds) =>
        FromEnvironment(name, description + ", in seconds.", defaultSeconds, text => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));

    public static Option<int> Integer(string name, string description, int defaultValue) =>
        FromEnvironment(name, description, defaultValue, text => int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture));

    public static Option<string?> Text(string name, string description) =>
        FromEnvironment<string?>(name, description, null, text => text);

    public static TimeSpan ToTimeSpan(double seconds, string name) =>
        seconds > 0 && double.IsFinite(seconds)
            ? TimeSpan.FromSeconds(seconds)
            : throw CliException.Usage($"{name} must be a positive number of seconds, not {seconds.ToString(CultureInfo.InvariantCulture)}");
}
