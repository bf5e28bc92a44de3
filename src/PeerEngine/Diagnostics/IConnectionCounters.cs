namespace PeerEngine.Diagnostics;

/// <summary>
/// What the metrics read of a connection: its traffic counters and its requests in flight. The
/// metrics know connections only by this, so that Diagnostics depends on no layer it measures.
/// </summary>
internal interface IConnectionCounters
{
    /// <summary>Frames received since the connection opened.</summary>
    long FramesReceived { get; }

    /// <summary>Frames sent since the connection opened.</summary>
    long FramesSent { get; }

    /// <summary>Frame bytes (headers included) received since the connection opened.</summary>
    long BytesReceived { get; }

    /// <summary>Frame bytes (headers included) sent since the connection opened.</summary>
    long BytesSent { get; }

    /// <summary>Requests sent and awaiting their answer.</summary>
    int OutgoingRequests { get; }
}
