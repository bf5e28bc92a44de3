using System.Globalization;

namespace PeerEngine.Load.Scenarios;

/// <summary>
/// How many connections a connection-per-call scenario (churn) may hold open at once, so the load tool
/// never spends its last file descriptors: under <c>ulimit -n 200</c> churn took every one, and the
/// runtime, unable to start a thread or load an assembly, ended the process ("Out of memory."). A call
/// over the budget fails at once as the generator's own failure (<see cref="DescriptorLimitException"/>),
/// counted and reported, never sent to the target.
/// </summary>
internal sealed class DescriptorBudget
{
    /// <summary>Descriptors kept for the rest of the process: the runtime's threads and assemblies, reports, other scenarios.</summary>
    public const int Reserve = 64;

    private readonly long _limit;
    private long _left;

    public DescriptorBudget(long connections, long limit)
    {
        _left = connections;
        _limit = limit;
    }

    /// <summary>
    /// The budget left by this process's descriptor limit and the descriptors open now, each connection
    /// costing <paramref name="perConnection"/> (2 when the target runs in this process: it holds the
    /// other end); null where the limit cannot be read (not Linux), or is too high to matter.
    /// </summary>
    public static DescriptorBudget? ForThisProcess(int perConnection)
    {
        if (!OperatingSystem.IsLinux() || SoftLimit() is not { } limit || limit > int.MaxValue)
        {
            return null;
        }

        long open = Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount();
        return new DescriptorBudget(Math.Max(0, (limit - open - Reserve) / perConnection), limit);
    }

    /// <summary>Takes one connection's descriptors, or throws <see cref="DescriptorLimitException"/> when none are left.</summary>
    public void Take()
    {
        if (Interlocked.Decrement(ref _left) < 0)
        {
            Interlocked.Increment(ref _left);
            throw new DescriptorLimitException(string.Create(CultureInfo.InvariantCulture,
                $"Too many open files: no descriptor left for another connection under the limit of {_limit} (ulimit -n; {Reserve} are kept for the load tool itself)."));
        }
    }

    public void Return() => Interlocked.Increment(ref _left);

    /// <summary>The soft limit on open files, from <c>/proc/self/limits</c> ("Max open files  1024  4096  files").</summary>
    private static long? SoftLimit()
    {
        foreach (string line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                string[] fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long soft) ? soft : null;
            }
        }

        return null;
    }
}

/// <summary>A call the generator did not make: it had no file descriptor to spare (errno EMFILE, 24).</summary>
internal sealed class DescriptorLimitException(string message) : IOException(message, 24);
