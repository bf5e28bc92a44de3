using PeerEngine.Transport;
using PeerEngine.Transport.SharedMemory;
using PeerEngine.Transport.SharedMemory.Internal;
using PeerEngine.Transport.Sockets;

namespace PeerEngine.Tests.Transport.SharedMemory;

public sealed class SharedMemoryOptionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(2048)]
    [InlineData(5000)]
    [InlineData(128 * 1024 * 1024)]
    public void A_ring_size_that_is_no_power_of_two_from_4_KiB_to_64_MiB_is_refused_naming_the_option(int ringSize)
    {
        var options = new PeerNodeOptions { SharedMemory = { RingSize = ringSize } };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains(nameof(PeerSharedMemoryOptions.RingSize), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(2_000_000)]
    public void A_spin_below_zero_or_over_a_second_is_refused_naming_the_option(int microseconds)
    {
        var options = new PeerNodeOptions { SharedMemory = { SpinDuration = TimeSpan.FromMicroseconds(microseconds) } };

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains(nameof(PeerSharedMemoryOptions.SpinDuration), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_defaults_are_on_a_256_KiB_ring_no_spin_and_fallback()
    {
        var options = new PeerSharedMemoryOptions();

        options.Validate();
        Assert.True(options.Enabled);
        Assert.Equal(256 * 1024, options.RingSize);
        Assert.Equal(TimeSpan.Zero, options.SpinDuration);
        Assert.True(options.FallBackToUnixSocket);
    }

    [Fact]
    public void Turned_off_the_node_uses_the_socket_transport_alone()
    {
        TransportFactory sockets = SocketTransport.Factory;

        Assert.Same(sockets, SharedMemoryTransport.Over(sockets, new PeerSharedMemoryOptions { Enabled = false }));
        Assert.IsType<SharedMemoryTransport>(SharedMemoryTransport.Over(sockets, new PeerSharedMemoryOptions())(new TransportSettings()));
    }

    [Fact]
    public void A_connection_maps_its_two_rings_of_the_size_asked_and_a_header_page()
    {
        using SharedMapping mapping = SharedMapping.Create(64 * 1024, out int descriptor);
        LinuxNative.Close(descriptor);

        Assert.Equal(4096 + (2 * 64 * 1024), mapping.Size);
        Assert.Equal(64 * 1024, mapping.Capacity);
    }

    [Fact]
    public void A_mapping_whose_size_is_not_sealed_or_does_not_match_is_refused()
    {
        int unsealed = LinuxNative.MemfdCreate("test", LinuxNative.MfdCloexec | LinuxNative.MfdAllowSealing);
        Assert.Equal(0, LinuxNative.Ftruncate(unsealed, RingLayout.MappingSize(4096)));
        Assert.Null(SharedMapping.Open(unsealed, 4096, out string? notSealed));
        Assert.Contains("not sealed", notSealed, StringComparison.Ordinal);

        using SharedMapping made = SharedMapping.Create(4096, out int sealedDescriptor);
        Assert.Null(SharedMapping.Open(sealedDescriptor, 8192, out string? wrongSize));
        Assert.Contains("bytes for rings of 8192", wrongSize, StringComparison.Ordinal);
    }
}
