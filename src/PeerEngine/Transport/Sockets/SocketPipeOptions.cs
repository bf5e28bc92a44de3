using System.IO.Pipelines;
using PeerEngine.Buffers;

namespace PeerEngine.Transport.Sockets;

/// <summary>The options of every socket connection's two pipes, built once per transport.</summary>
internal sealed class SocketPipeOptions
{
    public SocketPipeOptions(TransportSettings settings)
    {
        Settings = settings;

        // The protocol loop never blocks (handlers run elsewhere), so it runs inline on the receive
        // completion: a thread-pool hop per receive less (pipelined: +30% throughput). The
        // send loop is not run by a writer's flush, so that writers do not make the send syscall one
        // frame at a time while others queue behind them: it is woken on the thread pool, or at the
        // end of a batch of answers (the protocol layer's send scheduler), and sends whatever has piled up.
        Receive = new PipeOptions(
            pool: BlockMemoryPool.Shared,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: settings.MaxReceiveBufferSize,
            resumeWriterThreshold: settings.MaxReceiveBufferSize / 2,
            useSynchronizationContext: false);
        Send = new PipeOptions(
            pool: BlockMemoryPool.Shared,
            readerScheduler: settings.SendLoopScheduler,
            writerScheduler: PipeScheduler.ThreadPool,
            pauseWriterThreshold: settings.MaxSendBufferSize,
            resumeWriterThreshold: settings.MaxSendBufferSize / 2,
            useSynchronizationContext: false);
    }

    public TransportSettings Settings { get; }

    /// <summary>The input pipe: the receive loop writes, the protocol reads.</summary>
    public PipeOptions Receive { get; }

    /// <summary>The output pipe: the protocol writes, the send loop reads.</summary>
    public PipeOptions Send { get; }
}
