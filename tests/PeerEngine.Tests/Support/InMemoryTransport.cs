using System.IO.Pipelines;
using System.Net;
using PeerEngine.Transport;

namespace PeerEngine.Tests.Support;

/// <summary>
/// Two <see cref="TransportConnection"/>s joined in memory, shaped like a socket pair: each side has
/// its own receive and send pipes, and a link loop carries bytes across, where faults are injected
/// (bytes in small chunks, a delay per chunk, a stall). Whole conversations run without sockets.
/// </summary>
internal sealed class InMemoryConnection : TransportConnection
{
    private readonly Pipe _received;
    private readonly Pipe _toSend = new(new PipeOptions(useSynchronizationContext: false));
    private readonly CancellationTokenSource _aborted = new();
    private readonly LinkFaults _faults;
    private InMemoryConnection _peer = null!;
    private Task _linking = Task.CompletedTask;

    private InMemoryConnection(string name, LinkFaults faults, PipeScheduler? receiveScheduler = null)
    {
        LocalEndPoint = new DnsEndPoint(name, 0);
        _faults = faults;
        _received = new Pipe(new PipeOptions(readerScheduler: receiveScheduler, useSynchronizationContext: false));
    }

    public override PipeReader Input => _received.Reader;

    public override PipeWriter Output => _toSend.Writer;

    public override EndPoint? RemoteEndPoint => _peer.LocalEndPoint;

    public override EndPoint? LocalEndPoint { get; }

    /// <summary>
    /// A connected pair; each side's faults apply to what that side sends. The accepting side's reads
    /// continue on <paramref name="acceptingReceiveScheduler"/> (the thread pool if none): a scheduler
    /// with one thread for several connections plays the socket engine's thread of inline completions.
    /// </summary>
    public static (InMemoryConnection Connecting, InMemoryConnection Accepting) CreatePair(
        LinkFaults? connectingFaults = null, LinkFaults? acceptingFaults = null, PipeScheduler? acceptingReceiveScheduler = null)
    {
        var connecting = new InMemoryConnection("connecting", connectingFaults ?? LinkFaults.None);
        var accepting = new InMemoryConnection("accepting", acceptingFaults ?? LinkFaults.None, acceptingReceiveScheduler);
        connecting._peer = accepting;
        accepting._peer = connecting;
        connecting._linking = connecting.LinkAsync();
        accepting._linking = accepting.LinkAsync();
        return (connecting, accepting);
    }

    /// <summary>Both directions end at once, as a reset: each side's reads fail with <see cref="ConnectionResetException"/>.</summary>
    public override void Abort()
    {
        _aborted.Cancel();
        _peer._aborted.Cancel();
    }

    public override async ValueTask DisposeAsync()
    {
        await _toSend.Writer.CompleteAsync().ConfigureAwait(false);
        await _linking.ConfigureAwait(false);
        Abort();
    }

    private async Task LinkAsync()
    {
        PipeWriter peerInput = _peer._received.Writer;
        Exception? reset = null;
        try
        {
            while (true)
            {
                ReadResult result = await _toSend.Reader.ReadAsync(_aborted.Token).ConfigureAwait(false);
                foreach (ReadOnlyMemory<byte> block in result.Buffer)
                {
                    for (int offset = 0; offset < block.Length; offset += _faults.ChunkSize)
                    {
                        await _faults.WaitAsync(_aborted.Token).ConfigureAwait(false);
                        ReadOnlyMemory<byte> chunk = block.Slice(offset, Math.Min(_faults.ChunkSize, block.Length - offset));
                        FlushResult flush = await peerInput.WriteAsync(chunk, _aborted.Token).ConfigureAwait(false);
                        if (flush.IsCompleted)
                        {
                            return;
                        }
                    }
                }

                _toSend.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            reset = new ConnectionResetException("The in-memory connection was aborted.");
        }
        finally
        {
            await _toSend.Reader.CompleteAsync(reset).ConfigureAwait(false);
            await peerInput.CompleteAsync(reset).ConfigureAwait(false);
        }
    }
}

/// <summary>How the in-memory link mistreats the bytes it carries.</summary>
internal sealed class LinkFaults
{
    private volatile TaskCompletionSource? _stall;

    public static LinkFaults None => new();

    /// <summary>Bytes carried per write to the other side.</summary>
    public int ChunkSize { get; init; } = int.MaxValue;

    /// <summary>Wait before each chunk.</summary>
    public TimeSpan DelayPerChunk { get; init; }

    /// <summary>Stops carrying bytes until <see cref="Resume"/>.</summary>
    public void Stall() => _stall = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Resume() => _stall?.TrySetResult();

    internal async Task WaitAsync(CancellationToken cancellationToken)
    {
        if (_stall is { } stall)
        {
            await stall.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (DelayPerChunk > TimeSpan.Zero)
        {
            await Task.Delay(DelayPerChunk, cancellationToken).ConfigureAwait(false);
        }
    }
}
