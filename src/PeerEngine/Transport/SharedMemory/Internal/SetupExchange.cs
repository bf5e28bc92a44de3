using System.Buffers.Binary;
using System.Net.Sockets;

namespace PeerEngine.Transport.SharedMemory.Internal;

/// <summary>
/// How two processes agree on a shared mapping, over the Unix socket of the listener's shared-memory
/// setup path (a socket of its own, beside the plain one: a plain Unix-socket client never meets it).
/// </summary>
/// <remarks>
/// <code>
///   dialler  -> listener   16 bytes: "PEERSHM1", version (u32 LE), ring capacity (u32 LE),
///                          with the sealed memfd attached (SCM_RIGHTS)
///   listener -> dialler    1 byte 0x01: mapped, the connection is up
///                          or the socket closes: refused (the listener logs why), the dialler falls back
/// </code>
/// The dialler makes the mapping, so a listener never allocates memory for a dialler that is not of
/// this user (checked first, with SO_PEERCRED) or that sends a bad message. After the exchange the
/// socket carries only wake-up bytes, and its end is the peer's end.
/// </remarks>
internal static class SetupExchange
{
    public const int MessageLength = 16;
    public const byte Accepted = 0x01;

    /// <summary>Sets up a mapping with the listener on <paramref name="socket"/> (connected); the dialler writes ring 0.</summary>
    /// <exception cref="IOException">The mapping cannot be made, or the listener refused it.</exception>
    public static async ValueTask<SharedMapping> DialAsync(Socket socket, int capacity, CancellationToken cancellationToken)
    {
        SharedMapping mapping = SharedMapping.Create(capacity, out int descriptor);
        try
        {
            try
            {
                DescriptorPassing.Send(socket, Message(capacity), descriptor);
            }
            finally
            {
                LinuxNative.Close(descriptor);
            }

            byte[] reply = new byte[1];
            int received = await socket.ReceiveAsync(reply, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (received != 1 || reply[0] != Accepted)
            {
                throw new IOException("The peer refused the shared-memory setup (its log says why).");
            }

            return mapping;
        }
        catch
        {
            mapping.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Takes a dialler's mapping on <paramref name="socket"/> (accepted), checks it, and accepts it;
    /// <c>null</c> with the reason when it is refused (the caller closes the socket).
    /// </summary>
    public static async ValueTask<(SharedMapping? Mapping, string? Problem)> AcceptAsync(Socket socket, int maxCapacity, CancellationToken cancellationToken)
    {
        if (!IsSameUser(socket))
        {
            return (null, "the dialling process belongs to another user");
        }

        byte[] message = new byte[MessageLength];
        (int length, int descriptor) = await DescriptorPassing.ReceiveAsync(socket, message, cancellationToken).ConfigureAwait(false);
        if (descriptor < 0)
        {
            return (null, length == 0 ? "the dialler closed before its setup message" : "the setup message carries no descriptor");
        }

        if (length != MessageLength
            || BinaryPrimitives.ReadUInt64LittleEndian(message) != RingLayout.Magic
            || BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(8)) != RingLayout.Version)
        {
            LinuxNative.Close(descriptor);
            return (null, $"not a setup message of version {RingLayout.Version} ({length} bytes)");
        }

        uint capacity = BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(12));
        if (capacity > (uint)maxCapacity)
        {
            LinuxNative.Close(descriptor);
            return (null, $"rings of {capacity} bytes, more than this listener takes ({maxCapacity}, option RingSize)");
        }

        SharedMapping? mapping = SharedMapping.Open(descriptor, (int)capacity, out string? problem);
        if (mapping is null)
        {
            return (null, problem);
        }

        try
        {
            await socket.SendAsync(new[] { Accepted }, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            return (mapping, null);
        }
        catch
        {
            mapping.Dispose();
            throw;
        }
    }

    private static byte[] Message(int capacity)
    {
        byte[] message = new byte[MessageLength];
        BinaryPrimitives.WriteUInt64LittleEndian(message, RingLayout.Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), RingLayout.Version);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(12), (uint)capacity);
        return message;
    }

    /// <summary>SO_PEERCRED: the pid, uid and gid of the process that connected.</summary>
    private static bool IsSameUser(Socket socket)
    {
        Span<byte> credentials = stackalloc byte[12];
        int length = socket.GetRawSocketOption(LinuxNative.SolSocket, LinuxNative.SoPeerCred, credentials);
        return length == 12 && BinaryPrimitives.ReadUInt32LittleEndian(credentials[4..]) == LinuxNative.GetEuid();
    }
}
