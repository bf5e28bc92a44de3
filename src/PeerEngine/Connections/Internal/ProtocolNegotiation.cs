using PeerEngine.Framing;

namespace PeerEngine.Connections.Internal;

/// <summary>
/// What a connection's handshake settles: the version offered and the one followed, and the largest
/// payload the peer accepts. The connecting side offers its highest version (or 1 to a peer known to
/// speak no other); the accepting side answers with the version it received, if it speaks it.
/// </summary>
internal sealed class ProtocolNegotiation
{
    private readonly ConnectionSettings _settings;

    public ProtocolNegotiation(ConnectionSettings settings)
    {
        _settings = settings;
        Offered = settings.HighestVersion;
        MaxSendPayloadLength = settings.Options.MaxPayloadLength;
    }

    /// <summary>The version a connecting side's HELLO offers; set before the connection starts.</summary>
    public ushort Offered { get; set; }

    /// <summary>The version the connection follows; 0 until the peer's HELLO has arrived.</summary>
    public ushort Version { get; private set; }

    /// <summary>
    /// The largest payload that may be sent: what a version-2 peer announced, or this side's own
    /// maximum for a version-1 peer, which announces none.
    /// </summary>
    public int MaxSendPayloadLength { get; private set; }

    /// <summary>Whether REQUESTs and MESSAGEs may carry trace context (version 2).</summary>
    public bool CarriesTraceContext => Version >= WireProtocol.Version2;

    /// <summary>Whether the peer answered this side's HELLO with ERROR 3: it does not speak the version offered.</summary>
    public bool VersionRefused { get; private set; }

    /// <summary>
    /// The highest version acceptable in the peer's HELLO: an accepting side takes any version it
    /// speaks, a connecting side none above the one it offered.
    /// </summary>
    public ushort Acceptable(ConnectionRole role) => role == ConnectionRole.Connecting ? Offered : _settings.HighestVersion;

    /// <summary>The peer's valid HELLO: the connection follows its version from now on.</summary>
    public void Settle(ushort version, int peerMaxPayloadLength)
    {
        if (version >= WireProtocol.Version2)
        {
            MaxSendPayloadLength = peerMaxPayloadLength;
        }

        Version = version;
    }

    public void OnVersionRefused() => VersionRefused = true;

    /// <summary>This side's HELLO: of the version offered when connecting, of the peer's when answering.</summary>
    public HelloFrame Hello(ushort version) => new(_settings.LocalNodeId, version, _settings.Options.MaxPayloadLength);
}
