using System.Runtime.Versioning;

using PeerEngine.Registry.Internal;

namespace PeerEngine;

/// <summary>Discovery: lock-free snapshots of the live peers.</summary>
[SupportedOSPlatform("linux")]
public sealed partial class PeerRegistry
{
    /// <summary>
    /// Writes a snapshot of the live peers into <paramref name="destination"/> and returns how many
    /// live peers there are; when that is more than the buffer holds, only the first
    /// <c>destination.Length</c> were written. Takes no lock and allocates nothing once this process
    /// has seen each peer's slot. A peer is live while its heartbeat is younger than the TTL its owner
    /// published and its owner is not found dead: once a heartbeat is missed, the owner's liveness
    /// lock is probed (at most once per heartbeat interval), so a killed peer vanishes in about one
    /// and a half heartbeat intervals. A slot being rewritten at that instant is skipped, never
    /// returned half-written.
    /// </summary>
    /// <param name="destination">Where to write the peers.</param>
    public int Discover(Span<PeerRecord> destination)
    {
        ThrowIfDisposed();
        return _file.Scan(destination, NowMs(), out _);
    }

    /// <summary>Returns a snapshot of the live peers.</summary>
    public IReadOnlyList<PeerRecord> Discover()
    {
        ThrowIfDisposed();
        return Snapshot(out _);
    }

    internal PeerRecord[] Snapshot(out ScanSummary summary)
    {
        PeerRecord[] buffer = new PeerRecord[16];
        while (true)
        {
            int count = _file.Scan(buffer, NowMs(), out summary);
            if (count <= buffer.Length)
            {
                return buffer[..count];
            }

            // Peers were published since the last pass; leave room for a few more.
            buffer = new PeerRecord[count + 16];
        }
    }
}
