using PeerEngine.Connections;

namespace PeerEngine.Tests.Support;

/// <summary>Request handlers the tests use.</summary>
internal static class Handlers
{
    /// <summary>Answers every request with its own payload.</summary>
    public static readonly RequestHandler Echo = static (request, _) =>
    {
        request.Payload.Span.CopyTo(request.Response.GetSpan(request.Payload.Length));
        request.Response.Advance(request.Payload.Length);
        return ValueTask.CompletedTask;
    };

    /// <summary>Echoes after waiting the number of milliseconds in the payload's first byte, so answers come back out of order.</summary>
    public static readonly RequestHandler DelayedEcho = static async (request, cancellationToken) =>
    {
        int delay = request.Payload.Length > 0 ? request.Payload.Span[0] % 16 : 0;
        await Task.Delay(delay, cancellationToken);
        await Echo(request, cancellationToken);
    };

    /// <summary>Always throws, with a message that must not reach the peer.</summary>
    public static readonly RequestHandler Throwing = static (_, _) =>
        throw new InvalidOperationException("secret internal detail");
}
