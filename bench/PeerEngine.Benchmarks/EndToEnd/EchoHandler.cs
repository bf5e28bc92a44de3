using System.Buffers;
using PeerEngine.Connections;

namespace PeerEngine.Benchmarks.EndToEnd;

/// <summary>The one echo every PeerEngine server of the benchmarks answers with.</summary>
internal static class EchoHandler
{
    /// <remarks>The payload is read as a sequence: a 64 KiB one spans blocks of the receive buffer, and is then copied once, into the answer.</remarks>
    public static readonly RequestHandler Echo = static (request, _) =>
    {
        ReadOnlySequence<byte> payload = request.PayloadSequence;
        int length = (int)payload.Length;
        payload.CopyTo(request.Response.GetSpan(length));
        request.Response.Advance(length);
        return ValueTask.CompletedTask;
    };

    /// <summary>Names N: the server's handler blocks its thread for 1 ms on every Nth request (<c>e2e run --block-every N</c>).</summary>
    public const string BlockEveryVariable = "E2E_BLOCK_EVERY";

    /// <summary>The echo, or with <see cref="BlockEveryVariable"/> set the echo that blocks on every Nth request: what a handler that blocks costs under each execution model.</summary>
    public static RequestHandler FromEnvironment()
    {
        if (Environment.GetEnvironmentVariable(BlockEveryVariable) is not { Length: > 0 } text)
        {
            return Echo;
        }

        int every = int.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        long requests = 0;
        return (request, cancellationToken) =>
        {
            if (Interlocked.Increment(ref requests) % every == 0)
            {
                Thread.Sleep(1); // blocks its thread on purpose: that is the cost measured
            }

            return Echo(request, cancellationToken);
        };
    }
}
