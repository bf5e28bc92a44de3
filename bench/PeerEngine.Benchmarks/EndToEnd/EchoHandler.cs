using PeerEngine.Connections;

namespace PeerEngine.Benchmarks.EndToEnd;

/// <summary>The one echo every PeerEngine server of the benchmarks answers with.</summary>
internal static class EchoHandler
{
    public static readonly RequestHandler Echo = static (request, _) =>
    {
        request.Payload.Span.CopyTo(request.Response.GetSpan(request.Payload.Length));
        request.Response.Advance(request.Payload.Length);
        return ValueTask.CompletedTask;
    };
}
