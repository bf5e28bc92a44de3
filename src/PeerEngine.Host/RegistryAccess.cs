using PeerEngine.Registry;

namespace PeerEngine.Host;

/// <summary>Opens a registry for reading, turning its failures into the contract's one-line errors.</summary>
internal static class RegistryAccess
{
    /// <summary>The live peers of the registry at <paramref name="path"/>; a file that does not exist yet is an empty registry.</summary>
    public static IReadOnlyList<PeerRecord> Peers(string path)
    {
        try
        {
            if (!PeerRegistry.Exists(path))
            {
                return [];
            }
        }
        catch (PeerRegistryException e)
        {
            throw CliException.Usage(OneLine(e.Message));
        }

        using PeerRegistry registry = Open(path);
        return registry.Discover();
    }

    public static PeerRegistry Open(string path)
    {
        try
        {
            return new PeerRegistry(new PeerRegistryOptions { Path = path });
        }
        catch (PeerRegistryException e)
        {
            throw CliException.Usage(OneLine(e.Message));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"cannot open registry {path}: {OneLine(e.Message)}");
        }
    }

    public static string OneLine(string message) => string.Join(' ', message.Split((char[])['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
