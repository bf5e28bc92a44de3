using System.Runtime.CompilerServices;
using System.Runtime.Versioning;

using PeerEngine.Registry.Internal;

namespace PeerEngine;

/// <summary>Watching: a cheap poll of the membership generation, surfaced as changes to the set of live peers.</summary>
[SupportedOSPlatform("linux")]
public sealed partial class PeerRegistry
{
    /// <summary>
    /// Yields the current live peers at once, then each change to that set, polling every
    /// <see cref="PeerRegistryOptions.WatchInterval"/>. A poll reads one counter; the slots are only
    /// scanned when the generation moved, a live peer's next heartbeat or TTL is due, or an expired
    /// peer might come back (a stopped process resumed). Ends when <paramref name="cancellationToken"/> is cancelled or the
    /// registry is disposed.
    /// </summary>
    /// <param name="cancellationToken">Ends the enumeration (without an exception).</param>
    public async IAsyncEnumerable<PeerSetChange> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        PeerRecord[] current = Snapshot(out ScanSummary summary);
        yield return new PeerSetChange(current, current, []);
        while (true)
        {
            await Task.Delay(_watchInterval, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (cancellationToken.IsCancellationRequested || Volatile.Read(ref _disposed))
            {
                yield break;
            }

            // Expiry, a killed owner's missed heartbeat and a stopped peer's return are a matter of
            // time, which the generation cannot show.
            bool due = _file.ReadGeneration() != summary.Generation
                       || NowMs() >= summary.NextCheckMs
                       || summary.Expired > 0
                       || summary.InFlux > 0;
            if (!due)
            {
                continue;
            }

            PeerRecord[] next = Snapshot(out summary);
            PeerRecord[] added = Except(next, current);
            PeerRecord[] removed = Except(current, next);
            current = next;
            if (added.Length > 0 || removed.Length > 0)
            {
                yield return new PeerSetChange(next, added, removed);
            }
        }
    }

    /// <summary>The peers of <paramref name="left"/> with no counterpart in <paramref name="right"/>, ignoring heartbeat times.</summary>
    private static PeerRecord[] Except(PeerRecord[] left, PeerRecord[] right)
    {
        var keys = new HashSet<PeerKey>(right.Length);
        foreach (PeerRecord peer in right)
        {
            keys.Add(PeerKey.Of(peer));
        }

        return [.. left.Where(peer => !keys.Contains(PeerKey.Of(peer)))];
    }

    /// <summary>A registration's identity: everything but the heartbeat.</summary>
    private readonly record struct PeerKey(string Id, string Host, int Port, string? UnixPath, int ProcessId, DateTimeOffset StartTime)
    {
        public static PeerKey Of(PeerRecord peer) => new(peer.Id, peer.Host, peer.Port, peer.UnixPath, peer.ProcessId, peer.StartTime);
    }
}
