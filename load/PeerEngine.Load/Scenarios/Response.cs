namespace PeerEngine.Load.Scenarios;

/// <summary>What one call of a step reports: ok or fail, the bytes it moved, and for a failure its code.</summary>
internal readonly record struct Response(bool IsOk, long SizeBytes, string? StatusCode, string? Message)
{
    public static Response Ok(long sizeBytes = 0) => new(true, sizeBytes, null, null);

    public static Response Fail(string statusCode, string? message = null, long sizeBytes = 0) => new(false, sizeBytes, statusCode, message);
}
