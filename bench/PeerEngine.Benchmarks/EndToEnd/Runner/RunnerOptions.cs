using System.Globalization;

namespace PeerEngine.Benchmarks.EndToEnd.Runner;

/// <summary>Options of <c>e2e run</c>.</summary>
internal sealed class RunnerOptions
{
    public const string Usage =
        "e2e run [--short] [--rounds N] [--warmup-ms N] [--measure-ms N] [--settings shipped,tuned,pool,inline,handoff,lowlat] " +
        "[--stacks plain,kestrel,dotnetty,peerengine,peerengine-unix,peerengine-shm,peerengine-lowlat,peerengine-tls] [--scenarios latency,pipelined,many,large] [--no-sockperf] [--ring-spin-us N] [--block-every N] [--allocation-types] [--out FILE]";

    public int Rounds { get; private set; } = 3;

    public int WarmupMs { get; private set; } = 1000;

    public int MeasureMs { get; private set; } = 3000;

    public bool Sockperf { get; private set; } = true;

    public string[]? Settings { get; private set; }

    public string[]? Stacks { get; private set; }

    public string[]? Scenarios { get; private set; }

    public string? Output { get; private set; }

    /// <summary>The shared-memory rings' spin budget on both sides, in µs; <see langword="null"/> for the default.</summary>
    public int? RingSpinMicroseconds { get; private set; }

    /// <summary>PeerEngine servers block their handler's thread for 1 ms on every Nth request; <see langword="null"/> for none.</summary>
    public int? BlockEvery { get; private set; }

    /// <summary>Servers sample their allocations by type (slower) and print them after each run.</summary>
    public bool AllocationTypes { get; private set; }

    public static RunnerOptions Parse(string[] arguments)
    {
        var options = new RunnerOptions();
        for (int i = 0; i < arguments.Length; i++)
        {
            string Next() => i + 1 < arguments.Length ? arguments[++i] : throw new ArgumentException($"{arguments[i]} needs a value.");
            switch (arguments[i])
            {
                case "--short":
                    // The CI smoke: checks that every server, the client and the runner work, not the speed.
                    options.Rounds = 1;
                    options.WarmupMs = 100;
                    options.MeasureMs = 300;
                    options.Sockperf = false;
                    options.Settings ??= ["shipped"];
                    break;
                case "--rounds":
                    options.Rounds = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--warmup-ms":
                    options.WarmupMs = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--measure-ms":
                    options.MeasureMs = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--settings":
                    options.Settings = Next().Split(',');
                    break;
                case "--stacks":
                    options.Stacks = Next().Split(',');
                    break;
                case "--scenarios":
                    options.Scenarios = Next().Split(',');
                    break;
                case "--no-sockperf":
                    options.Sockperf = false;
                    break;
                case "--ring-spin-us":
                    options.RingSpinMicroseconds = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--block-every":
                    options.BlockEvery = int.Parse(Next(), CultureInfo.InvariantCulture);
                    break;
                case "--allocation-types":
                    options.AllocationTypes = true;
                    break;
                case "--out":
                    options.Output = Next();
                    break;
                default:
                    throw new ArgumentException($"Unknown option {arguments[i]}.");
            }
        }

        return options;
    }

    public bool Includes(Target target)
    {
        string settings = target.Server.Settings switch
        {
            ServerSpec.Shipped => "shipped",
            ServerSpec.Tuned => "tuned",
            ServerSpec.LargerPool => "pool",
            ServerSpec.InlineCompletions => "inline",
            ServerSpec.Handoff => "handoff",
            _ => "lowlat",
        };
        return (Settings is null || Settings.Contains(settings)) && (Stacks is null || Stacks.Contains(target.Name));
    }
}
