namespace PeerEngine.Transport;

/// <summary>
/// A connection whose transport authenticated the peer (TLS): the protocol layer checks the id in the
/// peer's HELLO against it, so a peer cannot claim an id its credentials do not name.
/// </summary>
internal interface IPeerIdentity
{
    /// <summary>Whether the peer's credentials name <paramref name="nodeId"/>.</summary>
    bool Names(string nodeId);

    /// <summary>The ids the credentials name, for messages.</summary>
    string NamedIds { get; }

    /// <summary>
    /// Why the peer refused this side, as far as the transport can tell once the connection ended
    /// before the peer's HELLO (a TLS alert, say); <see langword="null"/> when it cannot tell.
    /// </summary>
    string? ExplainRefusal();
}
