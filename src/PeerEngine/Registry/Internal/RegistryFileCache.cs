using System.Runtime.Versioning;

namespace PeerEngine.Registry.Internal;

/// <summary>
/// The process-wide table of open registry files, keyed by canonical path (several paths may lead to
/// one file) and reference-counted, so that every <see cref="PeerRegistry"/> on one file shares one
/// descriptor. A second descriptor would
/// be a trap: fcntl locks belong to the process, and closing any descriptor of the file releases all
/// of them, silently freeing this process's writer and liveness locks while it still runs.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class RegistryFileCache
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, RegistryFile> Open = new(StringComparer.Ordinal);

    public static RegistryFile Acquire(string path, int capacityIfCreating, TimeSpan lockTimeout, long nowMs)
    {
        string key = PathCanonicalizer.Canonicalize(path);
        lock (Gate)
        {
            if (!Open.TryGetValue(key, out RegistryFile? file))
            {
                RegistryFile opened = RegistryFile.Open(key, capacityIfCreating, lockTimeout, nowMs);

                // A hard link or a bind mount reaches an open file under another canonical path.
                file = Open.Values.Distinct().FirstOrDefault(existing => existing.TryAdopt(opened, lockTimeout)) ?? opened;
                Open.Add(key, file);
            }

            file.References++;
            return file;
        }
    }

    public static void Release(RegistryFile file)
    {
        lock (Gate)
        {
            if (--file.References > 0)
            {
                return;
            }

            foreach (string key in Open.Where(entry => ReferenceEquals(entry.Value, file)).Select(entry => entry.Key).ToList())
            {
                Open.Remove(key);
            }

            file.Dispose();
        }
    }

    /// <summary>How many files this process has open (tests).</summary>
    internal static int OpenCount
    {
        get
        {
            lock (Gate)
            {
                return Open.Count;
            }
        }
    }
}
