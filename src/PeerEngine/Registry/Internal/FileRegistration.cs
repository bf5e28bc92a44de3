using System.Runtime.Versioning;

namespace PeerEngine.Registry.Internal;

/// <summary>A peer published in a registry file: owns one slot and its liveness lock, and heartbeats on a timer.</summary>
[SupportedOSPlatform("linux")]
internal sealed class FileRegistration : IPeerRegistration
{
    private readonly PeerRegistry _registry;
    private readonly RegistryFile _file;
    private readonly SlotContent _content;

    // Orders heartbeats against release: a late heartbeat must never land in a slot already freed and
    // perhaps claimed by another process.
    private readonly Lock _gate = new();
    private ITimer? _timer;
    private bool _released;

    public FileRegistration(PeerRegistry registry, RegistryFile file, int slot, SlotContent content)
    {
        _registry = registry;
        _file = file;
        Slot = slot;
        _content = content;
    }

    public PeerRecord Peer => _content.ToRecord(_content.PublishedMs);

    internal int Slot { get; }

    internal ulong RegistrationId => _content.RegistrationId;

    internal void StartHeartbeats(TimeProvider time, TimeSpan interval)
    {
        lock (_gate)
        {
            if (!_released)
            {
                using (ExecutionContext.SuppressFlow()) // beats for the registration's life, not the publisher's context
                {
                    _timer = time.CreateTimer(static state => ((FileRegistration)state!).Heartbeat(), this, interval, interval);
                }
            }
        }
    }

    public void Heartbeat()
    {
        lock (_gate)
        {
            if (!_released)
            {
                _file.WriteHeartbeat(Slot, _registry.NowMs());
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_released)
            {
                return;
            }

            _released = true;
            _timer?.Dispose();
        }

        try
        {
            _file.Release(Slot, _content.RegistrationId, _registry.LockTimeout);
        }
        catch (RegistryLockTimeoutException)
        {
            // Another process holds the writer lock for longer than the timeout (hung or stopped). Dropping
            // our liveness lock makes the slot dead: it leaves discovery within its TTL and is reclaimable.
            _file.Abandon(Slot);
        }
        finally
        {
            _registry.Forget(this);
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
