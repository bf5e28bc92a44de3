using System.Net.Sockets;

namespace PeerEngine.Load.Running;

/// <summary>
/// Failures of the load generator itself rather than of its target: told apart so a report blames the
/// right side. Running out of file descriptors (EMFILE) is the usual one: a churn scenario opens a
/// socket per call, and under a low <c>ulimit -n</c> even loading an assembly or opening a file fails.
/// </summary>
internal static class GeneratorErrors
{
    /// <summary>The error code of a call that failed because this process had no file descriptor left.</summary>
    public const string OutOfDescriptorsCode = "EMFILE (generator out of file descriptors)";

    /// <summary>errno 24 on Linux and macOS: the process's open-file limit is reached.</summary>
    private const int Emfile = 24;

    /// <summary>True when <paramref name="error"/> or an exception inside it says the process ran out of file descriptors.</summary>
    public static bool IsOutOfDescriptors(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            bool emfile = e switch
            {
                SocketException socket => socket.SocketErrorCode == SocketError.TooManyOpenSockets,
                IOException io => io.HResult == Emfile || io.Message.Contains("Too many open files", StringComparison.Ordinal),
                _ => false,
            };
            if (emfile)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when the load tool itself failed: out of descriptors, or unable to load its own code (which,
    /// with the files in place, the descriptor limit is the usual cause of). Not the target's doing.
    /// </summary>
    public static bool IsGeneratorFailure(Exception error) =>
        IsOutOfDescriptors(error) || error is FileNotFoundException { FileName: not null } or FileLoadException;

    /// <summary>One line for a report or the console: what failed, and what to do when it is the descriptor limit.</summary>
    public static string Describe(Exception error)
    {
        string text = $"{error.GetType().Name}: {error.Message.ReplaceLineEndings(" ").Trim()}";
        return IsOutOfDescriptors(error) ? $"{text} (the load tool ran out of file descriptors: raise the limit, e.g. ulimit -n 65536, or use fewer connections)"
            : IsGeneratorFailure(error) ? $"{text} (the load tool could not load its own code: is the file-descriptor limit, ulimit -n, reached?)"
            : text;
    }
}
