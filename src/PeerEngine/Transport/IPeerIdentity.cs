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

    /// <summary>What ended the connection's input with an error, if anything has: a refusal by the peer's TLS, say.</summary>
    Exception? ReceiveFailure { get; }
}
