using System.Net.Sockets;

namespace PeerEngine.Transport.SharedMemory.Internal;

/// <summary>A message with one file descriptor attached (<c>SCM_RIGHTS</c>), over a connected Unix socket.</summary>
internal static class DescriptorPassing
{
    /// <summary>Sends <paramref name="message"/> with <paramref name="descriptor"/>; the caller still owns and closes its copy.</summary>
    /// <exception cref="IOException">The message could not be sent whole.</exception>
    public static unsafe void Send(Socket socket, ReadOnlySpan<byte> message, int descriptor)
    {
        byte* control = stackalloc byte[LinuxNative.OneFdCmsgSpace];
        new Span<byte>(control, LinuxNative.OneFdCmsgSpace).Clear();
        var header = (LinuxNative.CmsgHdr*)control;
        header->Length = (nuint)LinuxNative.OneFdCmsgLength;
        header->Level = LinuxNative.SolSocket;
        header->Type = LinuxNative.ScmRights;
        *(int*)(control + sizeof(LinuxNative.CmsgHdr)) = descriptor;

        fixed (byte* data = message)
        {
            var iov = new LinuxNative.IoVec { Base = data, Length = (nuint)message.Length };
            var msg = new LinuxNative.MsgHdr
            {
                Iov = &iov,
                IovLength = 1,
                Control = control,
                ControlLength = (nuint)LinuxNative.OneFdCmsgSpace,
            };

            // A fresh socket's buffer is empty: a message this small is sent whole or not at all.
            nint sent = LinuxNative.SendMsg(socket.Handle, &msg, LinuxNative.MsgNoSignal);
            if (sent != message.Length)
            {
                throw new IOException($"Cannot pass the shared-memory descriptor: sendmsg failed: {LinuxNative.LastError()}.");
            }
        }
    }

    /// <summary>
    /// Receives a message of up to <paramref name="message"/>'s length and at most one descriptor,
    /// waiting for it asynchronously. Returns the length received (0 at the end of the stream) and the
    /// descriptor, or -1 when none came. Descriptors beyond the first are closed (by the kernel: there
    /// is room for one only).
    /// </summary>
    public static async ValueTask<(int Length, int Descriptor)> ReceiveAsync(Socket socket, Memory<byte> message, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Readiness without a syscall of ours: recvmsg below then never blocks.
            await socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (TryReceive(socket, message.Span, out int length, out int descriptor))
            {
                return (length, descriptor);
            }
        }
    }

    private static unsafe bool TryReceive(Socket socket, Span<byte> message, out int length, out int descriptor)
    {
        descriptor = -1;
        byte* control = stackalloc byte[LinuxNative.OneFdCmsgSpace];
        new Span<byte>(control, LinuxNative.OneFdCmsgSpace).Clear();
        fixed (byte* data = message)
        {
            var iov = new LinuxNative.IoVec { Base = data, Length = (nuint)message.Length };
            var msg = new LinuxNative.MsgHdr
            {
                Iov = &iov,
                IovLength = 1,
                Control = control,
                ControlLength = (nuint)LinuxNative.OneFdCmsgSpace,
            };

            nint received = LinuxNative.RecvMsg(socket.Handle, &msg, LinuxNative.MsgDontWait | LinuxNative.MsgCmsgCloexec);
            if (received < 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                if (errno is LinuxNative.EAgain or LinuxNative.EIntr)
                {
                    length = 0;
                    return false;
                }

                throw new IOException($"Cannot receive the shared-memory descriptor: recvmsg failed: {LinuxNative.LastError()}.");
            }

            var header = (LinuxNative.CmsgHdr*)control;
            if (msg.ControlLength >= (nuint)LinuxNative.OneFdCmsgLength
                && header->Level == LinuxNative.SolSocket && header->Type == LinuxNative.ScmRights
                && header->Length >= (nuint)LinuxNative.OneFdCmsgLength)
            {
                descriptor = *(int*)(control + sizeof(LinuxNative.CmsgHdr));
            }

            length = (int)received;
            return true;
        }
    }
}
