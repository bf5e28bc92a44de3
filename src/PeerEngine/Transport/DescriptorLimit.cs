using System.Runtime.InteropServices;

namespace PeerEngine.Transport;

/// <summary>
/// The process's open-file limit, read with getrlimit each time it is needed: another process may
/// lower it while the node runs (prlimit), and a check against a stale limit lets connections take
/// the descriptors the runtime needs. At that limit every .NET server measured here died ("Out of
/// memory." when the runtime itself could not open a file), so the default connection cap stays below it.
/// </summary>
internal static partial class DescriptorLimit
{
    private const int MinimumReserve = 64;
    private const int ResourceOpenFiles = 7; // RLIMIT_NOFILE on Linux

    /// <summary>
    /// Descriptors always left to the runtime, whatever the connection cap says. At the very limit the
    /// runtime itself fails to open what it needs (strace: a new thread's pipe, a lazily loaded
    /// assembly, /proc/sys/vm/overcommit_memory) and aborts with "Out of memory." — seen here in a
    /// child under prlimit 256 with the cap set above the limit.
    /// </summary>
    public const int RuntimeReserve = 32;

    /// <summary>
    /// Whether a descriptor just opened leaves fewer than <see cref="RuntimeReserve"/> free. Linux
    /// gives out the lowest free number, so descriptor <paramref name="descriptor"/> means all below
    /// it are in use: a check that costs one getrlimit, where counting /proc/self/fd would cost a
    /// directory read. It misses the holes that closed descriptors leave below the highest one:
    /// <see cref="CountFree"/> counts them, for when the check has fired.
    /// </summary>
    public static bool IsNearLimit(nint descriptor) =>
        SoftLimit is { } limit && descriptor >= limit - RuntimeReserve;

    /// <summary>The soft limit now; <c>null</c> when unknown or unlimited.</summary>
    public static long? SoftLimit
    {
        get
        {
            if (!OperatingSystem.IsLinux() || GetResourceLimit(ResourceOpenFiles, out ResourceLimit limit) != 0 || limit.Soft > long.MaxValue)
            {
                return null;
            }

            return (long)limit.Soft;
        }
    }

    /// <summary>
    /// The limit, less the descriptors already open when the options are made, less a reserve for
    /// what the process opens later (the runtime's own, outgoing connections, files): a tenth of the
    /// limit, at least 64. The runtime opens about 45 more once a node runs; <see cref="IsNearLimit"/>
    /// keeps the last ones free whatever this cap says.
    /// </summary>
    public static int DefaultMaxConnections()
    {
        if (SoftLimit is not { } limit)
        {
            return int.MaxValue;
        }

        long reserve = Math.Max(MinimumReserve, limit / 10);
        return (int)Math.Clamp(limit - CountOpen() - reserve, 1, int.MaxValue);
    }

    /// <summary>
    /// Descriptors free below the limit, counted (a directory read: for when the accept path is short
    /// of descriptors, not for every connection); 0 when there is none left to count with, <c>null</c>
    /// when there is no limit.
    /// </summary>
    public static long? CountFree()
    {
        if (SoftLimit is not { } limit)
        {
            return null;
        }

        try
        {
            return Math.Max(0, limit - CountOpen());
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static long CountOpen()
    {
        const string descriptors = "/proc/self/fd";
        return Directory.Exists(descriptors) ? Directory.EnumerateFileSystemEntries(descriptors).LongCount() : 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Soft;
        public ulong Hard;
    }

    // No descriptor needed, unlike reading /proc/self/limits: it works when none is left.
    [LibraryImport("libc", EntryPoint = "getrlimit")]
    private static partial int GetResourceLimit(int resource, out ResourceLimit limit);
}
