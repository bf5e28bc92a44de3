using Microsoft.Extensions.Logging;
using PeerEngine.Diagnostics;

namespace PeerEngine.Transport.Tls.Internal;

/// <summary>
/// The node's current <see cref="TlsCredentials"/>. When they come from files, the files' sizes and
/// modification times are compared at most once per <see cref="PeerTlsOptions.ReloadInterval"/>, on
/// the next handshake: a change is loaded for the connections opened after it (rotation without a
/// restart). Checking on use rather than with a file watcher needs no thread and sees every way a
/// file can be replaced (a rename over it, a copy, an edit).
/// </summary>
internal sealed class TlsCredentialSource
{
    private readonly PeerTlsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string[] _files;
    private readonly Lock _lock = new();
    private volatile TlsCredentials _current;
    private string _stamp;
    private long _checkedAt;

    public TlsCredentialSource(PeerTlsOptions options, TimeProvider time, ILogger logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _files = new[] { options.CertificatePath, options.KeyPath, options.CertificateAuthorityPath }.OfType<string>().ToArray();
        _stamp = Stamp();
        _current = TlsCredentials.Load(options, time.GetUtcNow());
        _checkedAt = time.GetTimestamp();
    }

    /// <summary>The credentials for a new connection, reloaded first when the files changed.</summary>
    public TlsCredentials Current
    {
        get
        {
            if (_files.Length > 0 && _time.GetElapsedTime(Volatile.Read(ref _checkedAt)) >= _options.ReloadInterval)
            {
                ReloadIfChanged();
            }

            return _current;
        }
    }

    private void ReloadIfChanged()
    {
        lock (_lock)
        {
            if (_time.GetElapsedTime(_checkedAt) < _options.ReloadInterval)
            {
                return;
            }

            Volatile.Write(ref _checkedAt, _time.GetTimestamp());
            string stamp = Stamp();
            if (stamp == _stamp)
            {
                return;
            }

            _stamp = stamp;
            try
            {
                TlsCredentials loaded = TlsCredentials.Load(_options, _time.GetUtcNow());
                _current = loaded;
                PeerEngineLog.TlsCertificateReloaded(
                    _logger, _options.CertificatePath!, CertificateIdentity.Describe(loaded.Ids), loaded.Certificate.NotAfter.ToUniversalTime());
            }
            catch (ArgumentException e)
            {
                // A half-written file is the usual cause: the next change is tried again, and until
                // then the certificate in use stays.
                PeerEngineLog.TlsCertificateReloadFailed(_logger, _options.CertificatePath!, e.Message);
            }
        }
    }

    private string Stamp() => string.Join('|', _files.Select(path =>
    {
        var file = new FileInfo(path);
        return file.Exists ? $"{file.Length}:{file.LastWriteTimeUtc.Ticks}" : "-";
    }));
}
