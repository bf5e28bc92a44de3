using System.Text.Json.Serialization;

namespace PeerEngine.Registry.Internal;

/// <summary>Compile-time JSON metadata for the peer export: no reflection, so trimming and AOT keep working.</summary>
[JsonSerializable(typeof(PeerJsonEntry[]))]
[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Default)]
internal sealed partial class PeerJsonContext : JsonSerializerContext;
