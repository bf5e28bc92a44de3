using System.Runtime.Versioning;

namespace PeerEngine.Registry.Internal;

/// <summary>
/// Non-blocking fcntl record locks through <see cref="FileStream.Lock"/> (F_SETLK, F_WRLCK on a
/// writable handle). They belong to the process, the kernel drops them when it dies (measured about
/// 5 ms after SIGKILL), and <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c> does not turn them off.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class FileLocks
{
    // The errno values .NET reports as the IOException's HResult when another process holds the range.
    private const int EAGAIN = 11;
    private const int EACCES = 13;

    /// <summary>Takes one byte at <paramref name="offset"/>; <see langword="false"/> when another process holds it.</summary>
    public static bool TryLock(FileStream stream, long offset)
    {
        try
        {
            stream.Lock(offset, 1);
            return true;
        }
        catch (IOException ex) when (ex.HResult is EAGAIN or EACCES)
        {
            return false;
        }
    }

    public static void Unlock(FileStream stream, long offset) => stream.Unlock(offset, 1);
}
