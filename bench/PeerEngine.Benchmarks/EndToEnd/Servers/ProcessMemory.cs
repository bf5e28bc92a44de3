using System.Globalization;

namespace PeerEngine.Benchmarks.EndToEnd.Servers;

/// <summary>What a server process holds: its resident set and its live managed heap.</summary>
internal static partial class ProcessMemory
{
    /// <summary>
    /// A full blocking, compacting collection first, the same for every stack, so that garbage not yet
    /// collected does not count as memory a connection holds; then <c>MEMORY rss=KIB managed=BYTES jit=METHODS</c>.
    /// With E2E_DECOMMIT=1 the collection is an aggressive one, which also gives the GC's free
    /// regions back to the system, and the C heap gives back its free pages too (<c>malloc_trim</c>;
    /// native libraries such as OpenSSL allocate there): the resident set then counts what is live,
    /// not what either heap kept.
    /// <c>jit=</c> is the number of methods the JIT has compiled so far (tiered compilation goes on
    /// compiling hot code for a while after start, and its code is resident memory too).
    /// </summary>
    public static string Measure()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        bool decommit = Environment.GetEnvironmentVariable("E2E_DECOMMIT") == "1";
        GC.Collect(GC.MaxGeneration, decommit ? GCCollectionMode.Aggressive : GCCollectionMode.Forced, blocking: true, compacting: true);
        if (decommit && OperatingSystem.IsLinux())
        {
            _ = MallocTrim(0); // 1 when memory was given back, 0 when there was none to give
        }

        long managed = GC.GetTotalMemory(forceFullCollection: false);
        return FormattableString.Invariant($"MEMORY rss={ResidentKiB()} managed={managed} jit={System.Runtime.JitInfo.GetCompiledMethodCount()}");
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);

    private static long ResidentKiB()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("/proc/self/status has no VmRSS line.");
    }
}
