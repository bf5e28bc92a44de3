using System.Net.Sockets;

namespace PeerEngine.Transport.Sockets;

/// <summary>The socket files of Unix domain listeners: a stale one blocks a bind, a live one must not be stolen.</summary>
internal static class UnixSocketFiles
{
    /// <summary>
    /// Removes <paramref name="path"/> when it is a socket nobody listens on (left by a process that
    /// was killed). A socket somebody still listens on is left alone, and the bind then fails with
    /// "address in use", as it should.
    /// </summary>
    public static void RemoveIfStale(string path)
    {
        if (!File.Exists(path) || CanOpenAsFile(path))
        {
            // Nothing there, or a regular file: never delete what is not a socket; bind will say so.
            return;
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            Remove(path);
        }
    }

    /// <summary>open(2) on a socket fails (ENXIO); on a regular file it succeeds.</summary>
    private static bool CanOpenAsFile(string path)
    {
        try
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return true;
        }
    }

    public static void Remove(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Already gone, or replaced by something this process did not create: leave it.
        }
        catch (UnauthorizedAccessException)
        {
            // Not ours to delete.
        }
    }
}
