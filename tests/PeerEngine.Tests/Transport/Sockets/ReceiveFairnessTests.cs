using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using PeerEngine.Framing;
using PeerEngine.Tests.Registry;
using PeerEngine.Tests.Support;

namespace PeerEngine.Tests.Transport.Sockets;

/// <summary>
/// A peer that keeps data coming must not hold the thread its connection's loop runs on: the
/// other connections' receives wait for that thread.
/// </summary>
public sealed class ReceiveFairnessTests
{
    [Fact]
    public async Task A_peer_that_never_stops_sending_does_not_starve_another_connection()
    {
        // The host as shipped, on one core: its socket completions all run on the one socket engine
        // thread, so a receive loop that never waits there would stop every other connection.
        using var folder = new TempFolder();
        using ChildProcess host = ChildProcess.StartHostUnder(["taskset", "-c", "0"], "run", "--id", "flooded", "--registry", folder.RegistryPath, "--no-unix");
        Match listening = Regex.Match(await host.ReadLineAsync(), @"^listening 127\.0\.0\.1:(\d+) id=flooded$");
        Assert.True(listening.Success, host.Stderr);
        var endPoint = new IPEndPoint(IPAddress.Loopback, int.Parse(listening.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        await using RawPeer quiet = await RawPeer.HandshakeAsync(endPoint, "quiet");
        await using RawPeer flooder = await RawPeer.HandshakeAsync(endPoint, "flooder");

        // 4 MiB of 64 KiB MESSAGEs per send, again and again: one send is 64 of the host's receives,
        // so the host finds data each time it looks.
        byte[] message = FrameBytes.Build(FrameKind.Message, 0, new byte[64 * 1024 - WireProtocol.HeaderSize]);
        byte[] flood = Enumerable.Repeat(message, 64).SelectMany(frame => frame).ToArray();
        using var stop = new CancellationTokenSource();
        var flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task flooding = Task.Run(async () =>
        {
            for (int sends = 1; !stop.IsCancellationRequested; sends++)
            {
                await flooder.Socket.SendAsync(flood, System.Net.Sockets.SocketFlags.None, stop.Token);
                if (sends == 4)
                {
                    flowing.TrySetResult(); // 16 MiB out: the host's socket buffers are full, it reads without a pause
                }
            }
        });
        try
        {
            await Task.WhenAny(flowing.Task, flooding).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.False(flooding.IsCompleted, $"the flood ended early: {flooding.Exception}");

            var answered = Stopwatch.StartNew();
            await quiet.SendAsync(FrameBytes.Build(FrameKind.Request, 7, "still there?"u8));
            (FrameHeader header, byte[] payload) = await quiet.ReadFrameAsync(TimeSpan.FromSeconds(5));

            Assert.Equal(FrameKind.Response, header.Kind);
            Assert.Equal("still there?"u8.ToArray(), payload);
            // Not faster than about a second: under the flood, loopback drops segments of the quiet
            // connection too, and TCP resends them after its timeout (measured: 0.8-1.0 s with 3
            // retransmissions counted, both with and without the engine's yield). A loop that kept the
            // thread would not answer while the flood lasts.
            Assert.True(answered.Elapsed < TimeSpan.FromSeconds(3), $"answered after {answered.Elapsed.TotalMilliseconds:F0} ms");
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await flooding; // the cancelled send ends it
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
