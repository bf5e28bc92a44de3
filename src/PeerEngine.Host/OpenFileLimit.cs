using System.Globalization;

namespace PeerEngine.Host;

/// <summary>The process's soft open-file limit (<c>ulimit -n</c>), as the kernel reports it in /proc/self/limits.</summary>
internal static class OpenFileLimit
{
    /// <summary>The soft limit; <c>null</c> when unlimited or unknown (no /proc, not Linux).</summary>
    public static long? Soft()
    {
        // The line reads "Max open files   1024   1048576   files": a name of several words, then
        // the soft and the hard limit ("unlimited" for none).
        const string Name = "Max open files";
        try
        {
            foreach (string line in File.ReadLines("/proc/self/limits"))
            {
                if (line.StartsWith(Name, StringComparison.Ordinal))
                {
                    string soft = line[Name.Length..].TrimStart().Split(' ', 2)[0];
                    return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out long limit) ? limit : null;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
