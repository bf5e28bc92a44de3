namespace PeerEngine;

/// <summary>How a published peer is reached.</summary>
public enum PeerTransport
{
    /// <summary>TCP at <see cref="PeerRecord.Host"/>:<see cref="PeerRecord.Port"/>; a Unix socket path may be published as well.</summary>
    Tcp = 1,

    /// <summary>Only a Unix domain socket at <see cref="PeerRecord.UnixPath"/>; host and port are empty.</summary>
    UnixSocket = 2,
}
