using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using HdrHistogram;
using PeerEngine.Framing;
using PeerEngine.Transport;
using PeerEngine.Transport.SharedMemory;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Benchmarks.EndToEnd.Client;

/// <summary>What the client speaks under the protocol.</summary>
internal enum ClientRoute
{
    /// <summary>Plain bytes on a TCP or Unix socket.</summary>
    Socket,

    /// <summary>Mutual TLS 1.3 over TCP, with the certificates of <see cref="TlsFiles"/>.</summary>
    Tls,

    /// <summary>
    /// PeerEngine's shared-memory rings: no other implementation of them exists, so the client takes
    /// the engine's transport (and nothing above it) to move its bytes.
    /// </summary>
    SharedMemory,
}

/// <summary>
/// One connection of the load client, closed loop: keeps <c>depth</c> requests in flight, sends the
/// replacements of all the responses one receive returned with one send, and checks every response
/// byte for byte against the request it answers.
/// </summary>
internal sealed class ClientConnection : IAsyncDisposable
{
    private static readonly byte[] HelloFrame = EchoWire.Hello("e2e-client");

    private static readonly TransportSettings RingSettings = new();

    private readonly Socket _socket;

    // Under TLS the SslStream both ways; over shared memory the ring connection's pipes as streams.
    private Stream? _reads;
    private Stream? _writes;
    private TransportConnection? _ring;
    private readonly int _depth;
    private readonly int _payloadLength;
    private readonly int _frameLength;

    // Slot s carries ids s+1, s+1+depth, s+1+2*depth, ...: unique among those in flight.
    private readonly byte[][] _requests;
    private readonly uint[] _ids;
    private readonly bool[] _inFlight;
    private readonly long[] _sentAt;
    private readonly int[] _staged;
    private readonly byte[] _send;
    private readonly byte[] _receive;
    private int _filled;

    private ClientConnection(Socket socket, int depth, int payloadLength, int seed)
    {
        _socket = socket;
        _depth = depth;
        _payloadLength = payloadLength;
        _frameLength = EchoWire.HeaderSize + payloadLength;
        _requests = new byte[depth][];
        _ids = new uint[depth];
        _inFlight = new bool[depth];
        _sentAt = new long[depth];
        _staged = new int[depth];
        _send = new byte[_frameLength * depth];
        _receive = new byte[Math.Max(256 * 1024, 4 * _frameLength)];
        var random = new Random(seed);
        for (int slot = 0; slot < depth; slot++)
        {
            byte[] request = new byte[_frameLength];
            BinaryPrimitives.WriteUInt32BigEndian(request, (uint)payloadLength);
            request[EchoWire.KindOffset] = (byte)FrameKind.Request;
            random.NextBytes(request.AsSpan(EchoWire.HeaderSize));
            _requests[slot] = request;
            _ids[slot] = (uint)slot + 1 - (uint)depth; // the first Stage adds depth
        }
    }

    /// <summary>Latencies of the responses received since the last <see cref="Reset"/>, in <see cref="Stopwatch"/> ticks.</summary>
    public LongHistogram Latency { get; } = new(Stopwatch.Frequency * 60, 3);

    /// <summary>Responses received and checked since the last <see cref="Reset"/>.</summary>
    public long Completed { get; private set; }

    public static async Task<ClientConnection> ConnectAsync(EndPoint endPoint, ClientRoute route, int depth, int payloadLength, int seed)
    {
        Socket socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connection = new ClientConnection(socket, depth, payloadLength, seed);
        try
        {
            switch (route)
            {
                case ClientRoute.SharedMemory:
                    // The socket stays unused: the transport dials the setup socket itself.
                    var ringOptions = new PeerSharedMemoryOptions { FallBackToUnixSocket = false };
                    ringOptions.SpinDuration = RingSpin.FromEnvironment(ringOptions.SpinDuration);
                    var rings = new SharedMemoryTransport(SocketTransport.Factory(RingSettings), RingSettings, ringOptions);
                    connection._ring = await rings.ConnectAsync(endPoint).ConfigureAwait(false);
                    connection._reads = connection._ring.Input.AsStream();
                    connection._writes = connection._ring.Output.AsStream();
                    break;
                case ClientRoute.Tls:
                    await socket.ConnectAsync(endPoint).ConfigureAwait(false);
                    var tls = new SslStream(new NetworkStream(socket, ownsSocket: false));
                    connection._reads = connection._writes = tls;
                    await tls.AuthenticateAsClientAsync(TlsFiles.Client(TlsFiles.Folder)).ConfigureAwait(false);
                    break;
                default:
                    await socket.ConnectAsync(endPoint).ConfigureAwait(false);
                    break;
            }

            await connection.SendAllAsync(HelloFrame).ConfigureAwait(false);
            await connection.ReceiveHelloAsync().ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void Reset()
    {
        Latency.Reset();
        Completed = 0;
    }

    /// <summary>Keeps the connection loaded until <paramref name="until"/> (a <see cref="Stopwatch"/> timestamp), then waits for every answer still owed.</summary>
    public async Task RunAsync(long until)
    {
        int staged = 0;
        for (int slot = 0; slot < _depth; slot++)
        {
            Stage(slot, ref staged);
        }

        int outstanding = _depth;
        await SendStagedAsync(staged).ConfigureAwait(false);
        bool stopping = false;
        while (outstanding > 0)
        {
            int read = await ReceiveAsync().ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException("The server closed the connection with requests in flight.");
            }

            long now = Stopwatch.GetTimestamp();
            stopping |= now >= until;
            _filled += read;
            staged = 0;
            int offset = 0;
            while (_filled - offset >= EchoWire.HeaderSize)
            {
                int frame = EchoWire.HeaderSize + EchoWire.PayloadLength(_receive.AsSpan(offset));
                if (frame != _frameLength)
                {
                    throw Invalid($"a frame of {frame} bytes where {_frameLength} were expected");
                }

                if (_filled - offset < frame)
                {
                    break;
                }

                int slot = Check(_receive.AsSpan(offset, frame));
                Latency.RecordValue(now - _sentAt[slot]);
                Completed++;
                outstanding--;
                if (!stopping)
                {
                    Stage(slot, ref staged);
                    outstanding++;
                }

                offset += frame;
            }

            _receive.AsSpan(offset, _filled - offset).CopyTo(_receive);
            _filled -= offset;
            if (staged > 0)
            {
                await SendStagedAsync(staged).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_ring is not null)
        {
            await _ring.DiscardAsync().ConfigureAwait(false);
        }

        _reads?.Dispose();
        _writes?.Dispose();
        _socket.Dispose();
    }

    private ValueTask<int> ReceiveAsync() => _reads is null
        ? _socket.ReceiveAsync(_receive.AsMemory(_filled), SocketFlags.None)
        : _reads.ReadAsync(_receive.AsMemory(_filled));

    private async Task ReceiveHelloAsync()
    {
        while (true)
        {
            int read = await ReceiveAsync().ConfigureAwait(false);
            if (read == 0)
            {
                throw new EndOfStreamException("The server closed the connection during the handshake.");
            }

            _filled += read;
            if (_filled >= EchoWire.HeaderSize)
            {
                int frame = EchoWire.HeaderSize + EchoWire.PayloadLength(_receive);
                if (_receive[EchoWire.KindOffset] != (byte)FrameKind.Hello)
                {
                    throw Invalid($"kind {_receive[EchoWire.KindOffset]} where HELLO was expected");
                }

                if (_filled >= frame)
                {
                    _receive.AsSpan(frame, _filled - frame).CopyTo(_receive);
                    _filled -= frame;
                    return;
                }
            }
        }
    }

    /// <summary>Gives the slot its next id and copies its request into the send buffer.</summary>
    private void Stage(int slot, ref int staged)
    {
        uint id = _ids[slot] + (uint)_depth;
        if (id == 0)
        {
            id = (uint)slot + 1; // after 2^32 requests: start the slot's sequence again, never 0
        }

        _ids[slot] = id;
        byte[] request = _requests[slot];
        BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(6), id);
        if (_payloadLength >= 4)
        {
            // The payload carries the id too: an echo of another request cannot pass the check.
            BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(EchoWire.HeaderSize), id);
        }

        request.CopyTo(_send.AsSpan(staged * _frameLength));
        _inFlight[slot] = true;
        _staged[staged++] = slot;
    }

    private ValueTask<int> SendStagedAsync(int staged)
    {
        long now = Stopwatch.GetTimestamp();
        for (int i = 0; i < staged; i++)
        {
            _sentAt[_staged[i]] = now;
        }

        return SendAllAsync(_send.AsMemory(0, staged * _frameLength));
    }

    private async ValueTask<int> SendAllAsync(ReadOnlyMemory<byte> bytes)
    {
        if (_writes is not null)
        {
            await _writes.WriteAsync(bytes).ConfigureAwait(false);
            return bytes.Length;
        }

        int sent = 0;
        while (sent < bytes.Length)
        {
            sent += await _socket.SendAsync(bytes[sent..], SocketFlags.None).ConfigureAwait(false);
        }

        return sent;
    }

    /// <summary>Checks a response against the request in flight with its id; returns the slot.</summary>
    private int Check(ReadOnlySpan<byte> response)
    {
        if (response[EchoWire.KindOffset] != (byte)FrameKind.Response || response[5] != 0)
        {
            throw Invalid($"kind {response[EchoWire.KindOffset]}, flags {response[5]} where a RESPONSE was expected");
        }

        uint id = BinaryPrimitives.ReadUInt32BigEndian(response[6..]);
        int slot = (int)((id - 1) % (uint)_depth);
        if (id == 0 || _ids[slot] != id || !_inFlight[slot])
        {
            throw Invalid($"a RESPONSE with id {id}, which is not in flight");
        }

        if (!response[EchoWire.HeaderSize..].SequenceEqual(_requests[slot].AsSpan(EchoWire.HeaderSize)))
        {
            throw Invalid($"the RESPONSE to request {id} does not carry the request's payload");
        }

        _inFlight[slot] = false;
        return slot;
    }

    private static InvalidDataException Invalid(string what) => new($"The server answered {what}.");
}
