using System.Runtime.InteropServices;

namespace PeerEngine.Host;

/// <summary>
/// SIGINT and SIGTERM as a cancellation, so that a command stops the way it would finish: a node
/// says GOODBYE instead of leaving its peers a reset, `send --count` prints what it measured. The
/// first signal cancels <see cref="Token"/> and keeps the process alive; a second one is left to its
/// default action, for a person who will not wait. `run` also has the hosting's console lifetime,
/// which stops it on the same signals.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;

    public Interruption() =>
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];

    /// <summary>Cancelled by the first SIGINT or SIGTERM.</summary>
    public CancellationToken Token => _cancel.Token;

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }

        _cancel.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (_cancel.IsCancellationRequested)
        {
            return;
        }

        context.Cancel = true;
        _cancel.Cancel();
    }
}
