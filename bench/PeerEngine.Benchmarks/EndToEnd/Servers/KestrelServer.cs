using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PeerEngine.Framing;

namespace PeerEngine.Benchmarks.EndToEnd.Servers;

/// <summary>
/// The Kestrel baseline: Kestrel as a raw TCP server. A <see cref="ConnectionHandler"/> parses frames
/// out of the connection's <see cref="PipeReader"/>, writes each response into its
/// <see cref="PipeWriter"/>, and flushes once per read, as Kestrel's own protocols do.
/// </summary>
internal sealed class KestrelServer : IEchoServer
{
    private readonly WebApplication _app;

    private KestrelServer(WebApplication app, EndPoint endPoint)
    {
        _app = app;
        EndPoint = endPoint;
    }

    public EndPoint EndPoint { get; }

    public static async Task<KestrelServer> StartAsync(IPEndPoint endPoint)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endPoint, listen => listen.UseConnectionHandler<EchoConnectionHandler>()));
        WebApplication app = builder.Build();
        await app.StartAsync().ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new KestrelServer(app, new IPEndPoint(endPoint.Address, new Uri(address).Port));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class EchoConnectionHandler : ConnectionHandler
    {
        private static readonly byte[] HelloFrame = EchoWire.Hello("kestrel-server");

        public override async Task OnConnectedAsync(ConnectionContext connection)
        {
            PipeReader input = connection.Transport.Input;
            PipeWriter output = connection.Transport.Output;
            bool handshaken = false;
            while (true)
            {
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                bool wrote = false;
                while (TryReadFrame(ref buffer, out ReadOnlySequence<byte> frame))
                {
                    wrote = true;
                    if (!handshaken)
                    {
                        handshaken = true;
                        output.Write(HelloFrame);
                    }
                    else
                    {
                        WriteResponse(output, frame);
                    }
                }

                input.AdvanceTo(buffer.Start, buffer.End);
                if (wrote)
                {
                    FlushResult flush = await output.FlushAsync().ConfigureAwait(false);
                    if (flush.IsCompleted)
                    {
                        break;
                    }
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }
        }

        private static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
        {
            frame = default;
            if (buffer.Length < EchoWire.HeaderSize)
            {
                return false;
            }

            Span<byte> header = stackalloc byte[EchoWire.HeaderSize];
            buffer.Slice(0, EchoWire.HeaderSize).CopyTo(header);
            int payloadLength = EchoWire.PayloadLength(header);
            if (payloadLength > EchoWire.MaxPayloadLength)
            {
                throw new InvalidDataException($"A frame announced {payloadLength} payload bytes, more than the maximum.");
            }

            long frameLength = EchoWire.HeaderSize + (long)payloadLength;
            if (buffer.Length < frameLength)
            {
                return false;
            }

            frame = buffer.Slice(0, frameLength);
            buffer = buffer.Slice(frameLength);
            return true;
        }

        private static void WriteResponse(PipeWriter output, in ReadOnlySequence<byte> request)
        {
            // The request's header with the kind changed, then its payload, copied into the output.
            Span<byte> header = output.GetSpan(EchoWire.HeaderSize);
            request.Slice(0, EchoWire.HeaderSize).CopyTo(header);
            header[EchoWire.KindOffset] = (byte)FrameKind.Response;
            output.Advance(EchoWire.HeaderSize);
            foreach (ReadOnlyMemory<byte> segment in request.Slice(EchoWire.HeaderSize))
            {
                output.Write(segment.Span);
            }
        }
    }
}
