namespace PeerEngine.Load.Workers;

/// <summary>
/// The lines a coordinator and its workers exchange over the workers' standard input and output.
/// A worker warms up, says <see cref="Ready"/> and waits; the coordinator says <see cref="Go"/> to
/// all once all are ready, so their measured runs start within milliseconds of each other and
/// their intervals line up. <see cref="Stop"/>, or the coordinator's end of the pipe closing, ends
/// a worker's run early (its results are still written).
/// </summary>
internal static class WorkerProtocol
{
    /// <summary>Distinctive, so no other line a worker prints is taken for it.</summary>
    public const string Ready = "peerengine-load-worker: ready";

    public const string Go = "go";

    public const string Stop = "stop";
}
