using System.Net;
using DotNetty.Buffers;
using DotNetty.Codecs;
using DotNetty.Transport.Bootstrapping;
using DotNetty.Transport.Channels;
using DotNetty.Transport.Channels.Sockets;
using PeerEngine.Framing;

namespace PeerEngine.Benchmarks.EndToEnd.Servers;

/// <summary>
/// The DotNetty baseline, as its echo sample is written: a boss and a worker event-loop group,
/// pooled buffers, the length-field frame decoder, and a handler that writes each frame back and
/// flushes once per read.
/// </summary>
internal sealed class DotNettyServer : IEchoServer
{
    private readonly MultithreadEventLoopGroup _boss;
    private readonly MultithreadEventLoopGroup _workers;
    private readonly IChannel _channel;

    private DotNettyServer(MultithreadEventLoopGroup boss, MultithreadEventLoopGroup workers, IChannel channel)
    {
        _boss = boss;
        _workers = workers;
        _channel = channel;
    }

    // DotNetty binds a dual-mode socket: its address is IPv4-mapped IPv6, the client connects over IPv4.
    public EndPoint EndPoint => new IPEndPoint(IPAddress.Loopback, ((IPEndPoint)_channel.LocalAddress).Port);

    public static async Task<DotNettyServer> StartAsync(IPEndPoint endPoint)
    {
        var boss = new MultithreadEventLoopGroup(1);
        var workers = new MultithreadEventLoopGroup();
        IChannel channel = await new ServerBootstrap()
            .Group(boss, workers)
            .Channel<TcpServerSocketChannel>()
            .Option(ChannelOption.SoBacklog, 512)
            .Option(ChannelOption.Allocator, PooledByteBufferAllocator.Default)
            .ChildOption(ChannelOption.Allocator, PooledByteBufferAllocator.Default)
            .ChildOption(ChannelOption.TcpNodelay, true)
            .ChildHandler(new ActionChannelInitializer<IChannel>(child => child.Pipeline.AddLast(
                // Length at offset 0, 4 bytes, then 6 more header bytes before the payload; the whole
                // frame (header included) is passed on.
                new LengthFieldBasedFrameDecoder(ByteOrder.BigEndian, EchoWire.HeaderSize + EchoWire.MaxPayloadLength, 0, 4, 6, 0, true),
                new EchoHandler())))
            .BindAsync(endPoint).ConfigureAwait(false);
        return new DotNettyServer(boss, workers, channel);
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.CloseAsync().ConfigureAwait(false);
        await Task.WhenAll(_boss.ShutdownGracefullyAsync(TimeSpan.Zero, TimeSpan.Zero), _workers.ShutdownGracefullyAsync(TimeSpan.Zero, TimeSpan.Zero)).ConfigureAwait(false);
    }

    private sealed class EchoHandler : ChannelHandlerAdapter
    {
        private static readonly byte[] HelloFrame = EchoWire.Hello("dotnetty-server");
        private bool _handshaken;

        public override void ChannelRead(IChannelHandlerContext context, object message)
        {
            var frame = (IByteBuffer)message;
            if (!_handshaken)
            {
                _handshaken = true;
                frame.Release();
                _ = context.WriteAsync(context.Allocator.Buffer(HelloFrame.Length).WriteBytes(HelloFrame));
                return;
            }

            // The frame is a retained slice of the decoder's pooled buffer: change its kind and send
            // it back as it is; the write releases it once sent.
            frame.SetByte(frame.ReaderIndex + EchoWire.KindOffset, (int)FrameKind.Response);
            _ = context.WriteAsync(frame);
        }

        public override void ChannelReadComplete(IChannelHandlerContext context) => context.Flush();

        public override void ExceptionCaught(IChannelHandlerContext context, Exception exception) => context.CloseAsync();
    }
}
