using System.IO.Pipelines;
using PeerEngine.Buffers;

namespace PeerEngine.Transport.Sockets;

/// <summary>
/// The options of every socket connection's two pipes, built once per listener or connector: 10,000
/// idle connections should not carry 20,000 identical copies (the idle-memory budget).
/// </summary>
internal sealed class SocketPipeOptions
{
    public SocketPipeOptions(SocketTransportOptions options)
    {
        Transport = options;

        // The protocol loop never blocks (handlers run elsewhere), so it runs inline on the receive
        // completion: a thread-pool hop per receive less (pipelined: +30% throughput). The
        // send loop is not run by a writer's flush, so that writers do not make the send syscall one
        // frame at a time while others queue behind them: it is woken on the thread pool, or at the
        // end of a batch of answers (SendScheduler), and sends whatever has piled up.
        Receive = new PipeOptions(
            pool: BlockMemoryPool.Shared,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: options.MaxReceiveBufferSize,
            resumeWriterThreshold: options.MaxReceiveBufferSize / 2,
            useSynchronizationContext: false);
        Send = new PipeOptions(
            pool: BlockMemoryPool.Shared,
            readerScheduler: SendScheduler.Instance,
            writerScheduler: PipeScheduler.ThreadPool,
            pauseWriterThreshold: options.MaxSendBufferSize,
            resumeWriterThreshold: options.MaxSendBufferSize / 2,
            useSynchronizationContext: false);
    }

    public SocketTransportOptions Transport { get; }

    /// <summary>The input pipe: the receive loop writes, the protocol reads.</summary>
    public PipeOptions Receive { get; }

    /// <summary>The output pipe: the protocol writes, the send loop reads.</summary>
    public PipeOptions Send { get; }
}
