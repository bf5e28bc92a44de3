using System.Buffers;
using System.Diagnostics;
using System.Text;
using PeerEngine.Diagnostics;
using PeerEngine.Tests.Connections;

namespace PeerEngine.Tests.Diagnostics;

/// <summary>The W3C values of a trace block: which are valid, and the context a valid pair names.</summary>
public sealed class W3CTraceContextTests
{
    private static bool TryParse(string traceParent, string traceState, out ActivityContext context) =>
        W3CTraceContext.TryParse(
            new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(traceParent)),
            new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(traceState)),
            out context);

    [Fact]
    public void A_valid_pair_names_the_remote_parent_with_its_flags_and_tracestate()
    {
        Assert.True(TryParse(TraceBlockWireTests.ValidParent, "rojo=00f067aa0ba902b7, congo=t61rcWkgMzE", out ActivityContext context));

        Assert.Equal("0af7651916cd43dd8448eb211c80319c", context.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", context.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, context.TraceFlags);
        Assert.Equal("rojo=00f067aa0ba902b7, congo=t61rcWkgMzE", context.TraceState);
        Assert.True(context.IsRemote);
    }

    [Theory]
    [InlineData("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00-future")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")]
    [InlineData("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff")]
    public void Later_versions_and_other_flags_are_valid(string traceParent) =>
        Assert.True(TryParse(traceParent, "", out _));

    public static TheoryData<string, string> Invalid => new()
    {
        { TraceBlockWireTests.ValidParent.ToUpperInvariant(), "" },
        { "ff" + TraceBlockWireTests.ValidParent[2..], "" },
        { "00-00000000000000000000000000000000-b7ad6b7169203331-01", "" },
        { "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", "" },
        { TraceBlockWireTests.ValidParent + "-extra", "" },
        { "01" + TraceBlockWireTests.ValidParent[2..] + "x", "" },
        { TraceBlockWireTests.ValidParent[..54], "" },
        { TraceBlockWireTests.ValidParent.Replace('-', '_'), "" },
        { "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01", "" },
        { TraceBlockWireTests.ValidParent, "novalue" },
        { TraceBlockWireTests.ValidParent, "a=1,a=2" },
        { TraceBlockWireTests.ValidParent, "Rojo=1" },
        { TraceBlockWireTests.ValidParent, "a=b=c" },
        { TraceBlockWireTests.ValidParent, string.Join(',', Enumerable.Range(0, 33).Select(i => $"k{i}=v")) },
        { TraceBlockWireTests.ValidParent, "tenant@" + new string('s', 15) + "=v" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void A_value_that_is_not_w3c_makes_no_context(string traceParent, string traceState)
    {
        Assert.False(TryParse(traceParent, traceState, out ActivityContext context));
        Assert.Equal(default, context);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a=1")]
    [InlineData(" a=1 ,, b-c_d*e/f=x y ,tenant@sys=v\t")]
    [InlineData("0tenant@sys=v")]
    public void Valid_tracestates(string traceState) =>
        Assert.True(TryParse(TraceBlockWireTests.ValidParent, traceState, out _));

    [Fact]
    public void An_activity_travels_as_its_id_and_a_tracestate_that_fits()
    {
        using var activity = new Activity("x");
        activity.SetIdFormat(ActivityIdFormat.W3C);
        activity.Start();
        activity.TraceStateString = "k=v";

        Assert.True(W3CTraceContext.TryGetOutgoing(activity, out string traceParent, out string? traceState));
        Assert.Equal(activity.Id, traceParent);
        Assert.Equal("k=v", traceState);

        activity.TraceStateString = "k=" + new string('v', 600);
        Assert.True(W3CTraceContext.TryGetOutgoing(activity, out _, out traceState));
        Assert.Null(traceState);
        Assert.False(W3CTraceContext.TryGetOutgoing(null, out _, out _));
    }
}
