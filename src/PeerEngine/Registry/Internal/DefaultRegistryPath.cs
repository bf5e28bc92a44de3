using System.Runtime.Versioning;

namespace PeerEngine.Registry.Internal;

/// <summary>
/// Where the registry lives when nobody says: a per-user folder, so that one user's peers find
/// each other from any working directory and no other user can read, plant or truncate the file.
/// </summary>
internal static class DefaultRegistryPath
{
    public const string FolderName = "peerengine";
    public const string FileName = "registry.bin";

    /// <summary>Owner-only folder (0700), as XDG requires of the runtime directory itself.</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Owner-only file (0600).</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static string Resolve()
    {
        string? runtime = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
        if (!string.IsNullOrEmpty(runtime) && Path.IsPathFullyQualified(runtime) && Directory.Exists(runtime))
        {
            return Path.Combine(runtime, FolderName, FileName);
        }

        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home))
        {
            throw new PeerRegistryException($"No default registry path: neither XDG_RUNTIME_DIR nor HOME is set; set {nameof(PeerRegistryOptions)}.{nameof(PeerRegistryOptions.Path)}.");
        }

        return Path.Combine(home, ".local", "state", FolderName, FileName);
    }

    /// <summary>
    /// Creates the registry's folder (and missing parents) owner-only. An existing folder that other
    /// users may write to is refused: they could swap the file for a symlink or truncate it under us.
    /// </summary>
    [SupportedOSPlatform("linux")]
    public static void EnsureFolder(string filePath)
    {
        string folder = Path.GetDirectoryName(filePath) ?? throw new PeerRegistryException($"{filePath}: the registry path has no folder.");
        if (!Directory.Exists(folder))
        {
            Directory.CreateDirectory(folder, FolderMode);
            return;
        }

        UnixFileMode mode = File.GetUnixFileMode(folder);
        bool sticky = (mode & UnixFileMode.StickyBit) != 0;
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0 && !sticky)
        {
            throw new PeerRegistryException($"{filePath}: the folder {folder} is writable by other users (mode {Convert.ToString((int)mode, 8)}); use a private folder.");
        }
    }
}
