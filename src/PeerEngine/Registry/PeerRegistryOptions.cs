using PeerEngine.Registry.Internal;

namespace PeerEngine.Registry;

/// <summary>Settings of a <see cref="PeerRegistry"/>. Every value has a default that works with no configuration.</summary>
public sealed class PeerRegistryOptions
{
    /// <summary>The largest capacity a registry file may be created with.</summary>
    public const int MaxCapacity = RegistryLayout.MaxCapacity;

    /// <summary>
    /// The registry file. Default <see langword="null"/>: <see cref="DefaultPath"/>, a per-user
    /// location, so that peers started from any folder find each other. Registries are told apart
    /// by their full path. A missing folder is created private to the user (0700), the file 0600.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>
    /// How long a published peer stays visible without a heartbeat. Default 10 s. It is stored in
    /// the peer's slot, so every reader judges a peer by the TTL its owner promised.
    /// </summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a published peer's heartbeat is refreshed. Default 2 s; must be shorter than <see cref="Ttl"/>.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The number of slots when this process creates the file. Default 1024. An existing file keeps
    /// the capacity it was created with; a full registry throws <see cref="RegistryFullException"/>.
    /// </summary>
    public int Capacity { get; set; } = 1024;

    /// <summary>
    /// How long a writer (publish, unpublish, sweep) waits for another process's writer lock.
    /// Default 2 s. Writers hold it for microseconds, and the kernel frees it within milliseconds of
    /// a holder's death, so only a hung or stopped holder makes a writer wait this long.
    /// </summary>
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often <see cref="PeerRegistry.WatchAsync"/> polls the registry. Default 500 ms.</summary>
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The default registry file: <c>$XDG_RUNTIME_DIR/peerengine/registry.bin</c> when
    /// <c>XDG_RUNTIME_DIR</c> names an existing folder, else <c>$XDG_STATE_HOME/peerengine/registry.bin</c>,
    /// else <c>~/.local/state/peerengine/registry.bin</c> (the home from <c>HOME</c>, else the user's
    /// account when that folder exists), else <c>peerengine-UID/registry.bin</c> in the temp folder.
    /// Never directly in a shared folder such as <c>/tmp</c>, where another user could plant or
    /// truncate the file: the temp folder's <c>peerengine-UID</c> is made owner-only (0700) and refused
    /// when another user owns it.
    /// </summary>
    public static string DefaultPath => DefaultRegistryPath.Resolve();

    internal void Validate()
    {
        if (Ttl <= TimeSpan.Zero || Ttl.TotalMilliseconds > RegistryLayout.MaxTtlMs)
        {
            throw new ArgumentOutOfRangeException(nameof(Ttl), Ttl, $"{nameof(Ttl)} must be positive and at most {RegistryLayout.MaxTtlMs / 1000} s.");
        }

        if (HeartbeatInterval <= TimeSpan.Zero || HeartbeatInterval >= Ttl)
        {
            throw new ArgumentOutOfRangeException(nameof(HeartbeatInterval), HeartbeatInterval, $"{nameof(HeartbeatInterval)} must be positive and shorter than {nameof(Ttl)} ({Ttl}).");
        }

        if (Capacity is < 1 or > MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(Capacity), Capacity, $"{nameof(Capacity)} must be between 1 and {MaxCapacity}.");
        }

        if (LockTimeout < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(LockTimeout), LockTimeout, $"{nameof(LockTimeout)} must not be negative.");
        }

        if (WatchInterval <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(WatchInterval), WatchInterval, $"{nameof(WatchInterval)} must be positive.");
        }

        if (Path is { Length: 0 })
        {
            throw new ArgumentException($"{nameof(Path)} must not be empty; leave it null for the default.", nameof(Path));
        }
    }
}
