using System.Globalization;
using System.Text;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Node.Internal;

/// <summary>
/// The Unix socket a node listens on when nobody named one: beside its registry file, whose folder
/// the registry has already made private (0700) or found sticky, so only this user's processes can
/// connect, plant or remove sockets there. Named <c>peer-PID-N.sock</c>: short enough for the
/// 107-byte limit of a socket path in most folders, unique per node of a process, and, after a
/// SIGKILL, recognisable as stale by its dead process id.
/// </summary>
internal static class NodeUnixSockets
{
    private const string Prefix = "peer-";
    private const string Extension = ".sock";

    // sockaddr_un holds 108 bytes with the terminating NUL; the shared-memory setup socket appends ".shm".
    private const int MaxPathBytes = 107 - 4;

    private static int s_nodes;

    /// <summary>
    /// A fresh socket path in the folder of <paramref name="registryFile"/>, or <see langword="null"/>
    /// with the reason when the path would be too long for a socket.
    /// </summary>
    public static string? PathBeside(string registryFile, out string? problem)
    {
        string folder = Path.GetDirectoryName(registryFile) ?? "/";
        int node = Interlocked.Increment(ref s_nodes);
        string path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{Prefix}{Environment.ProcessId}-{node}{Extension}"));
        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            problem = $"{path} is longer than a Unix socket path may be ({MaxPathBytes} bytes)";
            return null;
        }

        problem = null;
        return path;
    }

    /// <summary>
    /// Removes the sockets in <paramref name="folder"/> left by nodes of processes that died without
    /// stopping (SIGKILL, a crash): their process is gone and nothing listens on them. A socket of a
    /// live process is never touched, even in the instant between its bind and its listen.
    /// </summary>
    public static void RemoveStale(string folder)
    {
        IEnumerable<string> sockets;
        try
        {
            sockets = Directory.EnumerateFiles(folder, Prefix + "*" + Extension + "*");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (string path in sockets)
        {
            if (OwnerProcess(Path.GetFileName(path)) is { } pid && !ProcessIsAlive(pid))
            {
                UnixSocketFiles.RemoveIfStale(path);
            }
        }
    }

    /// <summary>The process id in <c>peer-PID-N.sock</c> (or its <c>.shm</c>), if the name is one of these.</summary>
    internal static int? OwnerProcess(string fileName)
    {
        if (!fileName.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        ReadOnlySpan<char> rest = fileName.AsSpan(Prefix.Length);
        int dash = rest.IndexOf('-');
        return dash > 0 && int.TryParse(rest[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0 ? pid : null;
    }

    private static bool ProcessIsAlive(int pid) => Directory.Exists(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}"));
}
