using System.Globalization;

namespace PeerEngine.Transport.Sockets;

/// <summary>
/// The process's open-file limit, read from /proc/self/limits. At that limit every .NET server
/// measured here died ("Out of memory." when the runtime itself could not open a file), so the
/// default connection cap stays below it.
/// </summary>
internal static class DescriptorLimit
{
    private const int MinimumReserve = 64;

    /// <summary>
    /// Descriptors always left to the runtime, whatever the connection cap says. At the very limit the
    /// runtime itself fails to open what it needs (strace: a new thread's pipe, a lazily loaded
    /// assembly, /proc/sys/vm/overcommit_memory) and aborts with "Out of memory." — seen here in a
    /// child under prlimit 256 with the cap set above the limit.
    /// </summary>
    public const int RuntimeReserve = 32;

    // Read once, and again when accepting runs out of descriptors: the accept path checks it per
    // connection, and the limit changes only when someone lowers or raises it (prlimit, setrlimit).
    private const long Unknown = -1;
    private static long s_softLimit = ReadSoftLimit() ?? Unknown;

    /// <summary>
    /// Whether a descriptor just opened leaves fewer than <see cref="RuntimeReserve"/> free. Linux
    /// gives out the lowest free number, so descriptor <paramref name="descriptor"/> means all below
    /// it are in use: a check that costs nothing, where counting /proc/self/fd would cost a directory read.
    /// </summary>
    public static bool IsNearLimit(nint descriptor) =>
        SoftLimit is { } limit && descriptor >= limit - RuntimeReserve;

    /// <summary>The soft limit, as last read; <c>null</c> when unknown or unlimited.</summary>
    public static long? SoftLimit => Volatile.Read(ref s_softLimit) is var limit and not Unknown ? limit : null;

    /// <summary>
    /// Reads the limit again, after running out of descriptors: if it was lowered since it was read,
    /// <see cref="IsNearLimit"/> must refuse against the new one, or every new connection eats into
    /// the runtime's reserve. Reading needs a descriptor itself: false while there is none, and the
    /// caller tries again after its back-off.
    /// </summary>
    public static bool TryRefresh()
    {
        try
        {
            Volatile.Write(ref s_softLimit, ReadSoftLimit() ?? Unknown);
            return true;
        }
        catch (IOException)
        {
            return false;
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

    /// <summary>The soft "Max open files" limit, or <c>null</c> when it cannot be read or is unlimited.</summary>
    private static long? ReadSoftLimit()
    {
        const string limitsFile = "/proc/self/limits";
        if (!File.Exists(limitsFile))
        {
            return null;
        }

        foreach (string line in File.ReadLines(limitsFile))
        {
            if (!line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                continue;
            }

            string[] fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long soft)
                ? soft
                : null;
        }

        return null;
    }
}
