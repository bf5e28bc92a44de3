namespace PeerEngine.Registry.Internal;

/// <summary>
/// Tells a registry file that does not exist yet, which readers see as an empty registry, from one
/// that cannot be reached, and words why. Only a file missing from a folder that exists is "not
/// yet": a folder, a file or folder of another user, or a folder that cannot exist is an error,
/// because reporting it as an empty registry would hide running peers.
/// </summary>
internal static class RegistryPathErrors
{
    /// <summary>Whether the registry file at <paramref name="path"/> exists; throws when that cannot be told or it is not a file.</summary>
    public static bool Exists(string path)
    {
        string fullPath = Path.GetFullPath(path);
        try
        {
            if ((File.GetAttributes(fullPath) & FileAttributes.Directory) != 0)
            {
                throw IsDirectory(fullPath);
            }

            return true;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException && MayBeCreated(fullPath))
        {
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CannotOpen(fullPath, e);
        }
    }

    /// <summary>The one-line error for <paramref name="error"/>, met opening or creating the registry at <paramref name="path"/>.</summary>
    public static PeerRegistryException CannotOpen(string path, Exception error)
    {
        if (Directory.Exists(path))
        {
            return IsDirectory(path);
        }

        string folder = Path.GetDirectoryName(path) ?? path;
        string reason = error switch
        {
            UnauthorizedAccessException => "permission denied (the file or a folder on its path belongs to another user)",
            FileNotFoundException or DirectoryNotFoundException when File.Exists(folder) => $"{folder} is a file, not a folder",
            FileNotFoundException or DirectoryNotFoundException when !Directory.Exists(folder) => $"the folder {folder} does not exist",
            _ => string.Join(' ', error.Message.Split((char[])['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
        };
        return new PeerRegistryException($"cannot open registry {path}: {reason}.", error);
    }

    private static PeerRegistryException IsDirectory(string path) =>
        new($"cannot open registry {path}: it is a directory, not a registry file.");

    /// <summary>
    /// A missing file whose folder exists; or the default registry, whose folders the first peer to
    /// start creates (on a fresh machine they do not exist yet). Any other missing folder is an
    /// error: a mistyped path, or one that can never be created (/proc/...).
    /// </summary>
    private static bool MayBeCreated(string fullPath) =>
        Directory.Exists(Path.GetDirectoryName(fullPath)) ||
        string.Equals(fullPath, Path.GetFullPath(DefaultRegistryPath.Resolve()), StringComparison.Ordinal);
}
