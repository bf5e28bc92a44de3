using System.IO.Pipelines;
using PeerEngine.Buffers;

namespace PeerEngine.Transport.Sockets;

/// <summary>
/// The options of every socket connection's two pipes, built once per listener or connector: 10,000
/// idle connections should not carry 20,000 identical copies (issue 3's idle-memory target).
/// </summary>
internal sealed class SocketPipeOptions
{
    public SocketPipeOptions(SocketTransportOptions options)
    {
        Transport = options;

        // The protocol loop never blocks (handlers run elsewhere), so it may run inline on the receive
        // completion; the send loop runs on the thread pool so that a writer's flush does not make the
        // send syscall itself while other writers queue behind it: that gap is where batching happens.
        Receive = new PipeOptions(
            pool: BlockMemoryPool.Shared,
            readerScheduler: options.InlineReceiveContinuations ? PipeScheduler.Inline : PipeScheduler.ThreadPool,
            writerScheduler: PipeScheduler.Inline,
            pauseWriterThreshold: options.MaxReceiveBufferSize,
            resumeWriterThreshold: options.MaxReceiveBufferSize / 2,
            useSynchronizationContext: false);
        Send = new PipeOptions(
            pool: BlockMemoryPool.Shared,
            readerScheduler: PipeScheduler.ThreadPool,
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
