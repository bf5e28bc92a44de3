using System.Globalization;

namespace PeerEngine.Load.Simulations;

/// <summary>
/// Reads simulations as written on the command line: <c>inject:rate=20000,interval=1s,during=30s</c>,
/// <c>ramping-inject:…</c>, <c>inject-random:min=100,max=500,interval=1s,during=30s[,seed=1]</c>,
/// <c>iterations-for-inject:rate=100,interval=1s,iterations=5000</c>, <c>keep-constant:copies=10,during=30s</c>, <c>ramping-constant:…</c>,
/// <c>iterations-for-constant:copies=10,iterations=100000</c>, <c>pause:during=5s</c>.
/// </summary>
internal static class SimulationParser
{
    public static LoadSimulation Parse(string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string kind = (colon < 0 ? text : text[..colon]).Trim().ToLowerInvariant();
        Dictionary<string, string> args = Arguments(text, colon);
        try
        {
            LoadSimulation result = kind switch
            {
                "inject" => Simulation.Inject(Number(args, "rate"), Span(args, "interval", TimeSpan.FromSeconds(1)), Span(args, "during")),
                "ramping-inject" => Simulation.RampingInject(Number(args, "rate"), Span(args, "interval", TimeSpan.FromSeconds(1)), Span(args, "during")),
                "inject-random" => Simulation.InjectRandom(
                    Number(args, "min"), Number(args, "max"), Span(args, "interval", TimeSpan.FromSeconds(1)), Span(args, "during"), (int)Number(args, "seed", 1)),
                "iterations-for-inject" => Simulation.IterationsForInject(Number(args, "rate"), Span(args, "interval", TimeSpan.FromSeconds(1)), (long)Number(args, "iterations")),
                "keep-constant" => Simulation.KeepConstant((int)Number(args, "copies"), Span(args, "during")),
                "ramping-constant" => Simulation.RampingConstant((int)Number(args, "copies"), Span(args, "during")),
                "iterations-for-constant" => Simulation.IterationsForConstant((int)Number(args, "copies"), (long)Number(args, "iterations")),
                "pause" => Simulation.Pause(Span(args, "during")),
                _ => throw new FormatException(
                    $"'{kind}' is not a simulation (use inject, ramping-inject, inject-random, iterations-for-inject, keep-constant, ramping-constant, iterations-for-constant or pause)."),
            };
            if (args.Count > 0)
            {
                throw new FormatException($"{kind} takes no '{args.Keys.First()}'.");
            }

            return result;
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new FormatException($"simulation '{text}': {e.Message.Split(" (Parameter", 2)[0]}", e);
        }
    }

    private static Dictionary<string, string> Arguments(string text, int colon)
    {
        var args = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (colon < 0)
        {
            return args;
        }

        foreach (string pair in text[(colon + 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2)
            {
                throw new FormatException($"simulation '{text}': '{pair}' is not name=value.");
            }

            args[parts[0]] = parts[1];
        }

        return args;
    }

    private static double Number(Dictionary<string, string> args, string name, double? fallback = null)
    {
        if (!args.Remove(name, out string? text))
        {
            return fallback ?? throw new FormatException($"the simulation needs {name}=….");
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            ? value
            : throw new FormatException($"{name}: '{text}' is not a number.");
    }

    private static TimeSpan Span(Dictionary<string, string> args, string name, TimeSpan? fallback = null)
    {
        if (!args.Remove(name, out string? text))
        {
            return fallback ?? throw new FormatException($"the simulation needs {name}=….");
        }

        return DurationSyntax.Parse(text, name);
    }
}
