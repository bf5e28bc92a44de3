using System.Diagnostics;
using System.Runtime.Versioning;

using static PeerEngine.Registry.Internal.RegistryLayout;

namespace PeerEngine.Registry.Internal;

/// <summary>
/// The writer lock: this process's threads first, then the file's fcntl lock, which the kernel frees
/// when its holder dies; entering it repairs the slots a writer that died mid-update left behind.
/// </summary>
[SupportedOSPlatform("linux")]
internal sealed partial class RegistryFile
{
    // fcntl locks belong to the process, so threads of this process are serialised here first. Writers
    // never await inside the critical section, so a plain lock fits.
    private readonly Lock _writerGate = new();

    private long _repairs;

    /// <summary>Slots found half-written (odd sequence) under the lock and reset: their writer died mid-update.</summary>
    public long Repairs => Interlocked.Read(ref _repairs);

    private void EnterWriter(TimeSpan timeout)
    {
        long start = Stopwatch.GetTimestamp();
        if (!_writerGate.TryEnter(timeout))
        {
            throw new RegistryLockTimeoutException(FilePath, timeout, ReadLastWriterPid());
        }

        try
        {
            TimeSpan remaining = timeout - Stopwatch.GetElapsedTime(start);
            if (!TryAcquireFileLock(_stream, remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining))
            {
                throw new RegistryLockTimeoutException(FilePath, timeout, ReadLastWriterPid());
            }

            try
            {
                using ViewLease lease = _view.Acquire();
                lease.WriteInt32(LastWriterPidOffset, ProcessIdentity.ProcessId);
                lease.WriteInt64(LastWriterStartOffset, ProcessIdentity.StartUnixMs);
                RepairInterrupted(lease);
            }
            catch
            {
                FileLocks.Unlock(_stream, WriterLockOffset);
                throw;
            }
        }
        catch
        {
            _writerGate.Exit();
            throw;
        }
    }

    private void ExitWriter()
    {
        FileLocks.Unlock(_stream, WriterLockOffset);
        _writerGate.Exit();
    }

    private static void AcquireFileLock(FileStream stream, string path, TimeSpan timeout, int lastWriterPid)
    {
        if (!TryAcquireFileLock(stream, timeout))
        {
            throw new RegistryLockTimeoutException(path, timeout, lastWriterPid);
        }
    }

    private static bool TryAcquireFileLock(FileStream stream, TimeSpan timeout)
    {
        long start = Stopwatch.GetTimestamp();
        int delayMs = 1;
        while (!FileLocks.TryLock(stream, WriterLockOffset))
        {
            TimeSpan left = timeout - Stopwatch.GetElapsedTime(start);
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            // F_SETLKW would block without a timeout and .NET does not expose it, so poll: 1 ms doubling
            // to 10 ms. Holders keep the lock for microseconds and the kernel frees it about 5 ms after
            // a holder dies, so this waits at most ~15 ms past a crash.
            Thread.Sleep(TimeSpan.FromMilliseconds(Math.Min(delayMs, Math.Max(1, left.TotalMilliseconds))));
            delayMs = Math.Min(delayMs * 2, 10);
        }

        return true;
    }

    /// <summary>
    /// Only the lock holder writes sequence numbers, so an odd one seen with the lock held was left by
    /// a writer that died mid-update: readers have been skipping that slot, and it is reset to free.
    /// </summary>
    private void RepairInterrupted(in ViewLease lease)
    {
        int highWater = ReadHighWater(lease);
        Span<byte> image = stackalloc byte[SlotSize];
        bool imageReady = false;
        for (int slot = 0; slot < highWater; slot++)
        {
            if ((lease.ReadInt64(SlotOffset(slot)) & 1) == 0)
            {
                continue;
            }

            if (!imageReady)
            {
                SlotCodec.EncodeFree(image);
                imageReady = true;
            }

            WriteSlot(lease, slot, image);
            BumpGeneration(lease);
            Interlocked.Increment(ref _repairs);
        }
    }

    private int ReadLastWriterPid()
    {
        using ViewLease lease = _view.Acquire();
        return lease.ReadInt32(LastWriterPidOffset);
    }
}
