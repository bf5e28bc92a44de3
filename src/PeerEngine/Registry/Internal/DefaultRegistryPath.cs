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

    /// <summary>
    /// The XDG places, in their order: <c>$XDG_RUNTIME_DIR</c> (an existing folder), <c>$XDG_STATE_HOME</c>,
    /// the home folder's <c>.local/state</c> (<c>$HOME</c>, else the account's home when it exists). A
    /// process with none of them (a systemd unit, cron, a container user without a passwd entry) gets
    /// <c>peerengine-UID</c> in the temp folder, made owner-only and checked to be its own by
    /// <see cref="EnsureFolder"/>. Never throws: a path that turns out unusable fails where it is opened.
    /// </summary>
    public static string Resolve()
    {
        if (FullPathVariable("XDG_RUNTIME_DIR") is { } runtime && Directory.Exists(runtime))
        {
            return Path.Combine(runtime, FolderName, FileName);
        }

        if (FullPathVariable("XDG_STATE_HOME") is { } state)
        {
            return Path.Combine(state, FolderName, FileName);
        }

        if ((FullPathVariable("HOME") ?? AccountHome()) is { } home)
        {
            return Path.Combine(home, ".local", "state", FolderName, FileName);
        }

        return Path.Combine(TempFolder(), FileName);
    }

    /// <summary>The per-user folder in the temp folder, the last resort of <see cref="Resolve"/>.</summary>
    public static string TempFolder() => Path.Combine(Path.GetTempPath(), $"{FolderName}-{UserId()}");

    // XDG: a relative value is invalid and must be ignored.
    private static string? FullPathVariable(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value && Path.IsPathFullyQualified(value) ? value : null;

    /// <summary>
    /// The passwd home, which .NET looks up when HOME is unset. Service accounts often name one that
    /// does not exist (nobody's /nonexistent) or "/", where the state folder could not be made.
    /// </summary>
    private static string? AccountHome()
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.IsPathFullyQualified(home) && home != "/" && Directory.Exists(home) ? home : null;
    }

    /// <summary>The effective user id, from /proc/self/status ("Uid: real effective saved fs").</summary>
    private static string UserId()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
        {
            foreach (string line in File.ReadLines(status))
            {
                if (line.StartsWith("Uid:", StringComparison.Ordinal)
                    && line["Uid:".Length..].Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries) is [_, string effective, ..])
                {
                    return effective;
                }
            }
        }

        return Environment.UserName;
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

        if (string.Equals(folder, TempFolder(), StringComparison.Ordinal))
        {
            EnsureOwnTempFolder(filePath, folder);
        }

        UnixFileMode mode = File.GetUnixFileMode(folder);
        bool sticky = (mode & UnixFileMode.StickyBit) != 0;
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0 && !sticky)
        {
            throw new PeerRegistryException($"{filePath}: the folder {folder} is writable by other users (mode {Convert.ToString((int)mode, 8)}); use a private folder.");
        }
    }

    /// <summary>
    /// Anyone can make a folder in the shared temp folder, so one already there by the name of ours is
    /// used only if it is a real folder (not a symlink) and ours: only its owner may change its mode,
    /// so setting it owner-only both proves that and shuts everyone else out.
    /// </summary>
    [SupportedOSPlatform("linux")]
    private static void EnsureOwnTempFolder(string filePath, string folder)
    {
        if (new DirectoryInfo(folder).LinkTarget is not null)
        {
            throw new PeerRegistryException($"{filePath}: the folder {folder} is a symbolic link; remove it or set the registry path.");
        }

        try
        {
            File.SetUnixFileMode(folder, FolderMode);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new PeerRegistryException($"{filePath}: the folder {folder} belongs to another user; remove it or set the registry path.", e);
        }
    }
}
