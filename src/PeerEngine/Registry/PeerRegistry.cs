using System.Runtime.Versioning;

using PeerEngine.Registry.Internal;

namespace PeerEngine.Registry;

/// <summary>
/// The peer registry of one machine: a memory-mapped file that many processes publish to, refresh
/// and read at the same time, any of which may be killed at any instant. Writers (publish,
/// unpublish, sweep) take a cross-process fcntl lock that the kernel frees when its holder dies;
/// readers take lock-free snapshots over per-slot seqlocks. The format is documented in
/// <c>docs/registry-format.md</c>.
/// </summary>
/// <remarks>
/// Thread-safe. Every instance on the same file in one process shares one file descriptor and one
/// mapping. Disposing the registry unpublishes the peers it published; do not dispose it while
/// another thread is still calling it.
/// </remarks>
[SupportedOSPlatform("linux")]
public sealed partial class PeerRegistry : IPeerDiscovery, IDisposable
{
    private readonly RegistryFile _file;
    private readonly TimeProvider _time;
    private readonly int _ttlMs;
    private readonly int _heartbeatIntervalMs;
    private readonly TimeSpan _heartbeatInterval;
    private readonly TimeSpan _watchInterval;
    private readonly Lock _gate = new();
    private readonly HashSet<FileRegistration> _registrations = [];
    private bool _disposed;

    /// <summary>Opens the registry file, creating it when it does not exist.</summary>
    /// <param name="options">Settings; <see langword="null"/> for the defaults.</param>
    /// <param name="timeProvider">The clock heartbeats and TTLs use; <see langword="null"/> for <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="RegistryFormatException">The file exists but is not a registry this build can read; it is left untouched.</exception>
    /// <exception cref="RegistryLockTimeoutException">The file is being created by a process that holds the writer lock for too long.</exception>
    /// <exception cref="PeerRegistryException">The path is a directory, or the file or its folder cannot be opened or created (permissions, a folder that cannot exist).</exception>
    public PeerRegistry(PeerRegistryOptions? options = null, TimeProvider? timeProvider = null)
    {
        options ??= new PeerRegistryOptions();
        options.Validate();
        _time = timeProvider ?? TimeProvider.System;
        _ttlMs = (int)options.Ttl.TotalMilliseconds;
        _heartbeatInterval = options.HeartbeatInterval;
        _heartbeatIntervalMs = Math.Max(1, (int)options.HeartbeatInterval.TotalMilliseconds);
        _watchInterval = options.WatchInterval;
        LockTimeout = options.LockTimeout;
        FilePath = Path.GetFullPath(options.Path ?? PeerRegistryOptions.DefaultPath);
        try
        {
            _file = RegistryFileCache.Acquire(FilePath, options.Capacity, LockTimeout, NowMs());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw RegistryPathErrors.CannotOpen(FilePath, e);
        }
    }

    /// <summary>
    /// Whether the registry file at <paramref name="path"/> exists, found without creating anything:
    /// a reader can then treat a registry that does not exist yet as empty rather than create it.
    /// Only a file missing from a folder that exists (or from the default registry's folders, which
    /// the first peer creates) does not exist yet.
    /// </summary>
    /// <param name="path">The registry file; <see langword="null"/> for <see cref="PeerRegistryOptions.DefaultPath"/>.</param>
    /// <exception cref="PeerRegistryException">
    /// The path is a directory or cannot be reached: permission denied on the file or a folder on its
    /// way, or a folder that does not exist. Such a registry may well hold live peers, so it is never
    /// reported as missing.
    /// </exception>
    public static bool Exists(string? path) => RegistryPathErrors.Exists(path ?? PeerRegistryOptions.DefaultPath);

    /// <summary>The registry file's full path.</summary>
    public string FilePath { get; }

    /// <summary>The number of slots, fixed when the file was created.</summary>
    public int Capacity => _file.Capacity;

    /// <summary>The membership generation: it changes whenever a peer is published, unpublished or reclaimed.</summary>
    public long Generation
    {
        get
        {
            ThrowIfDisposed();
            return _file.ReadGeneration();
        }
    }

    /// <summary>
    /// Slots this process found half-written by a writer that died mid-update and reset, since it
    /// opened the file. The library does not log; a host can report this number.
    /// </summary>
    public long RepairedSlots => _file.Repairs;

    /// <summary>Slots this process freed because their owner had died, since it opened the file.</summary>
    public long ReclaimedSlots => _file.Reclaims;

    internal TimeSpan LockTimeout { get; }

    internal RegistryFile File => _file;

    /// <summary>
    /// Publishes <paramref name="peer"/> in a free slot (or one whose owner is dead) and starts its
    /// heartbeat. Dispose the returned registration to unpublish it.
    /// </summary>
    /// <param name="peer">The peer to publish.</param>
    /// <exception cref="ArgumentException">A field of <paramref name="peer"/> breaks its rule.</exception>
    /// <exception cref="PeerIdConflictException">A live process already publishes this id.</exception>
    /// <exception cref="RegistryFullException">Every slot is owned by a running (or stopped) process.</exception>
    /// <exception cref="RegistryLockTimeoutException">Another process held the writer lock for longer than <see cref="PeerRegistryOptions.LockTimeout"/>.</exception>
    public IPeerRegistration Publish(PeerAnnouncement peer)
    {
        ThrowIfDisposed();
        PeerAnnouncement valid = PeerFieldRules.Validate(peer);
        (int slot, SlotContent content) = _file.Claim(valid, _ttlMs, _heartbeatIntervalMs, NowMs(), LockTimeout);
        var registration = new FileRegistration(this, _file, slot, content);
        bool disposed;
        lock (_gate)
        {
            disposed = _disposed;
            if (!disposed)
            {
                _registrations.Add(registration);
            }
        }

        if (disposed)
        {
            registration.Dispose();
            ObjectDisposedException.ThrowIf(disposed, this);
        }

        registration.StartHeartbeats(_time, _heartbeatInterval);
        return registration;
    }

    /// <inheritdoc cref="Publish(PeerAnnouncement)"/>
    /// <remarks>Completes synchronously: the writer lock is held for microseconds and waited for at most <see cref="PeerRegistryOptions.LockTimeout"/>.</remarks>
    /// <param name="peer">The peer to publish.</param>
    /// <param name="cancellationToken">Checked before publishing.</param>
    public ValueTask<IPeerRegistration> PublishAsync(PeerAnnouncement peer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Publish(peer));
    }

    /// <summary>
    /// Frees the slots of dead owners: a heartbeat older than its TTL and a liveness lock nobody holds
    /// (a stopped process still holds its lock, so its slot is kept). Publishing does this on its way,
    /// so calling it is only needed to tidy up. Returns how many slots were freed.
    /// </summary>
    /// <exception cref="RegistryLockTimeoutException">Another process held the writer lock for longer than <see cref="PeerRegistryOptions.LockTimeout"/>.</exception>
    public int Sweep()
    {
        ThrowIfDisposed();
        return _file.Sweep(NowMs(), LockTimeout);
    }

    /// <summary>Unpublishes every peer this instance published and closes the file once no other instance of the process uses it.</summary>
    public void Dispose()
    {
        FileRegistration[] registrations;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            registrations = [.. _registrations];
        }

        foreach (FileRegistration registration in registrations)
        {
            registration.Dispose();
        }

        RegistryFileCache.Release(_file);
    }

    internal long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    internal void Forget(FileRegistration registration)
    {
        lock (_gate)
        {
            _registrations.Remove(registration);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
}
