namespace PeerEngine.Registry.Internal;

/// <summary>
/// Turns a registry path into one key per file (absolute, symlinks resolved, like realpath(3)),
/// because a process must hold exactly one descriptor per registry file: closing a second
/// descriptor of the same file silently drops every fcntl lock the process holds on it.
/// </summary>
internal static class PathCanonicalizer
{
    // Linux's own limit on symlinks followed in one lookup (MAXSYMLINKS).
    private const int MaxLinks = 40;

    public static string Canonicalize(string path)
    {
        int links = 0;
        return Resolve(Path.GetFullPath(path), ref links);
    }

    private static string Resolve(string fullPath, ref int links)
    {
        string root = Path.GetPathRoot(fullPath) ?? "/";
        string current = root;
        foreach (string part in fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(current, part);
            var info = new FileInfo(next);
            if (info.LinkTarget is not null)
            {
                if (++links > MaxLinks)
                {
                    throw new PeerRegistryException($"{fullPath}: too many levels of symbolic links.");
                }

                string target = info.LinkTarget;
                next = Resolve(Path.GetFullPath(target, current), ref links);
            }

            current = next;
        }

        return current;
    }
}
