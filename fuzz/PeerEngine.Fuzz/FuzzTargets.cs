using System.Runtime.Versioning;

using PeerEngine.Fuzz.Targets;

namespace PeerEngine.Fuzz;

/// <summary>Every fuzz target by name: the command line, run.sh and the corpus replay tests all read this list.</summary>
[SupportedOSPlatform("linux")]
public static class FuzzTargets
{
    /// <summary>The target names, in the order run.sh runs them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["frames", "hello", "error", "registry", "ring"];

    /// <summary>Creates the target called <paramref name="name"/>; dispose it when it is disposable.</summary>
    /// <exception cref="ArgumentException">No target has that name.</exception>
    public static IFuzzTarget Create(string name) => name switch
    {
        "frames" => new FrameReaderTarget(),
        "hello" => new HelloPayloadTarget(),
        "error" => new ErrorPayloadTarget(),
        "registry" => new RegistryFileTarget(),
        "ring" => new RingTarget(),
        _ => throw new ArgumentException($"Unknown fuzz target '{name}'; the targets are {string.Join(", ", Names)}.", nameof(name)),
    };
}
