using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PeerEngine.Load.Cli;

/// <summary>
/// Settings from a JSON file (<c>--config run.json</c>), named as the command line names them
/// (<c>"warm-up"</c>, or <c>"warmUp"</c>): <c>{ "target": "tcp://host:7000", "rate": 20000,
/// "simulation": ["ramping-inject:rate=20000,during=10s", "inject:rate=20000,during=30s"],
/// "threshold": ["p99&lt;5ms"], "quiet": true }</c>. Each becomes the option it names, so the file
/// is checked exactly as the command line is; an option also given on the command line wins.
/// </summary>
internal static class ConfigFile
{
    /// <summary>The file's settings as arguments, leaving out the options in <paramref name="given"/>.</summary>
    /// <param name="options">The command's option names without dashes (target, warm-up, …).</param>
    public static IReadOnlyList<string> ToArguments(string path, IReadOnlySet<string> options, IReadOnlySet<string> given)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new UsageException($"--config {path}: {e.Message.Split(Environment.NewLine)[0]}", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new UsageException($"--config {path}: the file holds no JSON object of settings.");
            }

            var arguments = new List<string>();
            foreach (JsonProperty setting in document.RootElement.EnumerateObject())
            {
                string name = Kebab(setting.Name);
                if (!options.Contains(name) || name is "config" or "workers")
                {
                    throw new UsageException($"--config {path}: '{setting.Name}' is not a setting (use the command line's option names, e.g. target, warm-up, threshold).");
                }

                if (!given.Contains(name))
                {
                    arguments.AddRange(Arguments(path, name, setting.Value));
                }
            }

            return arguments;
        }
    }

    private static IEnumerable<string> Arguments(string path, string name, JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True => [$"--{name}"],
        JsonValueKind.False or JsonValueKind.Null => [],
        JsonValueKind.Array => value.EnumerateArray().SelectMany(item => item.ValueKind is JsonValueKind.Array or JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False
            ? throw new UsageException($"--config {path}: '{name}' lists strings or numbers only.")
            : new[] { $"--{name}", Text(item) }),
        JsonValueKind.Object => throw new UsageException($"--config {path}: '{name}' is a string, a number, true or a list."),
        _ => [$"--{name}", Text(value)],
    };

    private static string Text(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number ? value.GetDouble().ToString(CultureInfo.InvariantCulture) : value.GetString() ?? string.Empty;

    /// <summary>warmUp → warm-up; warm-up stays.</summary>
    private static string Kebab(string name)
    {
        var kebab = new StringBuilder(name.Length + 4);
        foreach (char c in name)
        {
            if (char.IsUpper(c))
            {
                kebab.Append('-').Append(char.ToLowerInvariant(c));
            }
            else
            {
                kebab.Append(c);
            }
        }

        return kebab.ToString();
    }
}
