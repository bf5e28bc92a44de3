using System.Diagnostics;

namespace PeerEngine;

/// <summary>
/// The engine's spans, on the <see cref="ActivitySource"/> named <c>PeerEngine</c> (hosts opt in with
/// <c>AddSource("PeerEngine")</c>). A request span lives on the requester's side only: wire
/// protocol v1 carries no trace context.
/// </summary>
public static class PeerEngineActivities
{
    /// <summary>The source's name.</summary>
    public const string SourceName = "PeerEngine";

    /// <summary>The source every span of the engine starts from.</summary>
    public static ActivitySource Source { get; } = new(SourceName);
}
