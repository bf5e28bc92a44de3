using System.Text.Json.Serialization;

namespace PeerEngine.Registry.Internal;

/// <summary>
/// One element of the <c>peers --json</c> array (shared/specs/host-cli.md). The names and their
/// order are a contract with scripts: change neither.
/// </summary>
internal sealed record PeerJsonEntry(
    [property: JsonPropertyName("id"), JsonPropertyOrder(0)] string Id,
    [property: JsonPropertyName("host"), JsonPropertyOrder(1)] string Host,
    [property: JsonPropertyName("port"), JsonPropertyOrder(2)] int Port,
    [property: JsonPropertyName("pid"), JsonPropertyOrder(3)] int Pid,
    [property: JsonPropertyName("lastSeen"), JsonPropertyOrder(4)] long LastSeen);
